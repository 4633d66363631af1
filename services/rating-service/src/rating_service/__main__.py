"""Run rating-service: `python -m rating_service [serve|migrate]`."""

from rating_service.main import MIGRATIONS_DIR, create_app
from rating_service.settings import RatingSettings
from service_kit.serve import main

main(create_app, RatingSettings, MIGRATIONS_DIR)
