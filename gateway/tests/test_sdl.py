"""The exported SDL is the schema the gateway serves."""

from __future__ import annotations

from gateway.sdl import SDL_FILE, sdl


def test_schema_file_matches_the_schema() -> None:
    assert SDL_FILE.exists(), "gateway/schema.graphql is missing; run: python -m gateway.sdl"
    assert SDL_FILE.read_text(encoding="utf-8") == sdl(), (
        "The GraphQL schema changed but gateway/schema.graphql did not; "
        "run: .venv/bin/python -m gateway.sdl (and review the diff)"
    )


def test_required_root_fields_are_there() -> None:
    text = sdl()
    for field in (
        "me:",
        "organization(id:",
        "organizations(",
        "member(id:",
        "members(",
        "workTargets(",
        "coverage(",
        "campaign(id:",
        "projects(",
        "createOrganization(",
        "registerMember(",
        "advanceMemberStage(",
        "recordAttendance(",
        "castBallot(",
        "closeCampaign(",
        "bidForProject(",
    ):
        assert f"  {field}" in text, field
