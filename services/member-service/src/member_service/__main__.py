"""Run member-service: `python -m member_service [serve|migrate]`."""

from member_service.main import MIGRATIONS_DIR, create_app
from member_service.settings import MemberSettings
from service_kit.serve import main

main(create_app, MemberSettings, MIGRATIONS_DIR)
