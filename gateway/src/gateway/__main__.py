"""Run the gateway: `python -m gateway`."""

from gateway.main import create_app
from gateway.settings import GatewaySettings
from service_kit.serve import main

main(create_app, GatewaySettings, None)
