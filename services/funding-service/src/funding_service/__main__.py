"""Run funding-service: `python -m funding_service [serve|migrate]`."""

from funding_service.main import MIGRATIONS_DIR, create_app
from funding_service.settings import FundingSettings
from service_kit.serve import main

main(create_app, FundingSettings, MIGRATIONS_DIR)
