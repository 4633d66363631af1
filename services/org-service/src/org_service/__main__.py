"""Run org-service: `python -m org_service [serve|migrate]`."""

from org_service.main import MIGRATIONS_DIR, create_app
from org_service.settings import OrgSettings
from service_kit.serve import main

main(create_app, OrgSettings, MIGRATIONS_DIR)
