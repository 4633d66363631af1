"""The events funding-service hears (its inbox) and the one it tells (transfers made)."""

from __future__ import annotations

from service_kit.events import Inbox

inbox = Inbox()

TRANSFER_MADE = "funding.transfer.made"

MEMBER_STAGE_CHANGED = "member.stage.changed"
MEMBER_TRANSFERRED = "member.transferred"
SECRETARY_TERM_CHANGED = "member.secretary_term.changed"
STAR_LEVEL_CHANGED = "rating.star_level.changed"
