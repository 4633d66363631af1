"""Per-request DataLoaders: one per (service, key), each backed by a batch endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.loaders import funding, member, org, rating
from gateway.loaders.member import CountKey, MembersKey, PostsKey
from gateway.loaders.org import CoverageKey
from gateway.upstream import ServiceClient


@dataclass
class Loaders:
    organization: DataLoader[str, Any]
    region: DataLoader[str, Any]
    work_target: DataLoader[str, Any]
    region_coverage: DataLoader[CoverageKey, Any]
    member: DataLoader[str, Any]
    first_members: DataLoader[MembersKey, Any]
    posts: DataLoader[PostsKey, Any]
    secretary: DataLoader[str, Any]
    member_counts: DataLoader[CountKey, Any]
    organization_star_level: DataLoader[str, Any]
    member_star_level: DataLoader[str, Any]
    campaign: DataLoader[str, Any]
    results: DataLoader[str, Any]
    organization_accounts: DataLoader[str, Any]


def make_loaders(services: dict[str, ServiceClient], bearer: str) -> Loaders:
    """Fresh loaders for one request: nothing is cached across callers."""
    o, m, r, f = (services[name] for name in ("org", "member", "rating", "funding"))
    return Loaders(
        organization=org.organization_loader(o, bearer),
        region=org.region_loader(o, bearer),
        work_target=org.work_target_loader(o, bearer),
        region_coverage=org.region_coverage_loader(o, bearer),
        member=member.member_loader(m, bearer),
        first_members=member.first_members_loader(m, bearer),
        posts=member.posts_loader(m, bearer),
        secretary=member.secretary_loader(m, bearer),
        member_counts=member.member_counts_loader(m, bearer),
        organization_star_level=rating.star_level_loader(r, bearer, "organization"),
        member_star_level=rating.star_level_loader(r, bearer, "member"),
        campaign=rating.campaign_loader(r, bearer),
        results=rating.results_loader(r, bearer),
        organization_accounts=funding.accounts_loader(f, bearer),
    )
