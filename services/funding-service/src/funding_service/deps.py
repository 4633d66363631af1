"""FastAPI dependencies of funding-service: the other services' clients and the caller's reach."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from funding_service.access import Reach, reach_of
from funding_service.settings import FundingSettings
from funding_service.upstream.member import MemberService
from funding_service.upstream.org import OrgService
from funding_service.upstream.rating import RatingService
from service_kit.auth import CurrentPrincipal


def _settings(request: Request) -> FundingSettings:
    settings: FundingSettings = request.app.state.settings
    return settings


def _org(request: Request) -> OrgService:
    return OrgService(request.app.state.http, _settings(request).org_service_url)


def _member(request: Request) -> MemberService:
    return MemberService(request.app.state.http, _settings(request).member_service_url)


def _rating(request: Request) -> RatingService:
    return RatingService(request.app.state.http, _settings(request).rating_service_url)


SettingsDep = Annotated[FundingSettings, Depends(_settings)]
OrgDep = Annotated[OrgService, Depends(_org)]
MemberDep = Annotated[MemberService, Depends(_member)]
RatingDep = Annotated[RatingService, Depends(_rating)]


async def _reach(principal: CurrentPrincipal, org: OrgDep) -> Reach:
    return await reach_of(principal, org)


ReachDep = Annotated[Reach, Depends(_reach)]
