"""FastAPI dependencies that reach the app's shared objects."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service_kit.events import EventPublisher
from service_kit.http import HttpClient


def _publisher(request: Request) -> EventPublisher:
    publisher: EventPublisher = request.app.state.publisher
    return publisher


def _http(request: Request) -> HttpClient:
    http: HttpClient = request.app.state.http
    return http


PublisherDep = Annotated[EventPublisher, Depends(_publisher)]
HttpDep = Annotated[HttpClient, Depends(_http)]
