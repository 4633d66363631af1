"""Queries of closing a campaign (results, member levels, event rows) and of reading results."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, cast, false, func, literal, null, text
from sqlalchemy import select as sql_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from rating_service.campaigns.models import Campaign
from rating_service.results.models import EvaluationResult
from service_kit.pagination import KeysetPage, PageParams, keyset_page

# Every evaluated member's result, in one statement. Per party: the mean of its ballots'
# totals (a ballot's total / number of criteria is its score). A party counts when it has
# a weight and at least one ballot; the weighted score is Σ weight × score over the parties
# that count ÷ Σ their weights, rounded to two decimals, and that rounded score meets the
# thresholds and the ranks. The 5-star cap and the one-third rule for excellent keep a
# member at the top level only if the members scoring at least as much (ties included)
# fit within the limit: members tied across the limit all move down one level.
COMPUTE_RESULTS = text(
    """
WITH c AS (
    SELECT *, jsonb_array_length(criteria)::numeric AS n_criteria
    FROM campaign WHERE id = :campaign_id
), tallies AS (
    SELECT b.member_id,
           avg(b.total) FILTER (WHERE b.party = 'owner') AS owner_total,
           avg(b.total) FILTER (WHERE b.party = 'secretary') AS secretary_total,
           avg(b.total) FILTER (WHERE b.party = 'members') AS members_total,
           avg(b.total) FILTER (WHERE b.party = 'masses') AS masses_total,
           count(*) FILTER (WHERE b.party = 'owner') AS owner_ballots,
           count(*) FILTER (WHERE b.party = 'secretary') AS secretary_ballots,
           count(*) FILTER (WHERE b.party = 'members') AS members_ballots,
           count(*) FILTER (WHERE b.party = 'masses') AS masses_ballots
    FROM ballot b WHERE b.campaign_id = :campaign_id
    GROUP BY b.member_id
), used AS (
    SELECT s.member_id, s.organization_id, s.stage,
           t.owner_total, t.secretary_total, t.members_total, t.masses_total,
           t.owner_ballots, t.secretary_ballots, t.members_ballots, t.masses_ballots,
           (c.weight_owner > 0 AND t.owner_ballots > 0) AS use_owner,
           (c.weight_secretary > 0 AND t.secretary_ballots > 0) AS use_secretary,
           (c.weight_members > 0 AND t.members_ballots > 0) AS use_members,
           (c.weight_masses > 0 AND t.masses_ballots > 0) AS use_masses
    FROM campaign_subject s
    JOIN tallies t ON t.member_id = s.member_id
    CROSS JOIN c
    WHERE s.campaign_id = :campaign_id
), weighted AS (
    SELECT u.*,
           CASE WHEN use_owner THEN c.weight_owner ELSE 0 END
           + CASE WHEN use_secretary THEN c.weight_secretary ELSE 0 END
           + CASE WHEN use_members THEN c.weight_members ELSE 0 END
           + CASE WHEN use_masses THEN c.weight_masses ELSE 0 END AS used_weight,
           CASE WHEN use_owner THEN c.weight_owner * owner_total ELSE 0 END
           + CASE WHEN use_secretary THEN c.weight_secretary * secretary_total ELSE 0 END
           + CASE WHEN use_members THEN c.weight_members * members_total ELSE 0 END
           + CASE WHEN use_masses THEN c.weight_masses * masses_total ELSE 0 END AS weighted_total
    FROM used u CROSS JOIN c
), scored AS (
    SELECT w.*,
           round(w.weighted_total / (w.used_weight * c.n_criteria), 2) AS weighted_score,
           CASE
               WHEN round(w.weighted_total / (w.used_weight * c.n_criteria), 2)
                    >= c.five_stars_min THEN 5
               WHEN round(w.weighted_total / (w.used_weight * c.n_criteria), 2)
                    >= c.four_stars_min THEN 4
               WHEN round(w.weighted_total / (w.used_weight * c.n_criteria), 2)
                    >= c.three_stars_min THEN 3
               WHEN round(w.weighted_total / (w.used_weight * c.n_criteria), 2)
                    >= c.two_stars_min THEN 2
               ELSE 1
           END AS score_stars,
           CASE
               WHEN w.stage <> 'full_member' THEN NULL
               WHEN round(w.weighted_total / (w.used_weight * c.n_criteria), 2)
                    >= c.excellent_min THEN 'excellent'
               WHEN round(w.weighted_total / (w.used_weight * c.n_criteria), 2)
                    >= c.qualified_min THEN 'qualified'
               WHEN round(w.weighted_total / (w.used_weight * c.n_criteria), 2)
                    >= c.basically_qualified_min THEN 'basically_qualified'
               ELSE 'unqualified'
           END AS score_grade
    FROM weighted w CROSS JOIN c
    WHERE w.used_weight > 0
), ranked AS (
    SELECT s.*,
           count(*) OVER () AS evaluated,
           count(*) OVER (PARTITION BY s.score_stars ORDER BY s.weighted_score DESC)
               AS at_or_above_in_stars,
           count(*) FILTER (WHERE s.score_grade IS NOT NULL)
               OVER (PARTITION BY s.organization_id) AS graded_in_organization,
           count(*) OVER (PARTITION BY s.organization_id, s.score_grade
                          ORDER BY s.weighted_score DESC) AS at_or_above_in_grade
    FROM scored s
), limited AS (
    SELECT r.*,
           (r.score_stars = 5 AND c.five_star_cap_percent IS NOT NULL
            AND r.at_or_above_in_stars
                > floor(c.five_star_cap_percent * r.evaluated / 100.0)) AS star_capped,
           -- IS NOT DISTINCT FROM: an ungraded (probationary) member is never limited, where
           -- NULL = 'excellent' would make the flag NULL
           (r.score_grade IS NOT DISTINCT FROM 'excellent'
            AND r.at_or_above_in_grade > floor(r.graded_in_organization / 3.0)) AS grade_limited
    FROM ranked r CROSS JOIN c
)
INSERT INTO evaluation_result (
    campaign_id, member_id, organization_id, stage,
    owner_score, secretary_score, members_score, masses_score,
    owner_ballots, secretary_ballots, members_ballots, masses_ballots,
    parties_used, rescaled, weighted_score, score_stars, stars, capped,
    score_grade, grade, grade_capped, previous_stars, finalized_at
)
SELECT c.id, x.member_id, x.organization_id, x.stage,
       round(x.owner_total / c.n_criteria, 2)::float8,
       round(x.secretary_total / c.n_criteria, 2)::float8,
       round(x.members_total / c.n_criteria, 2)::float8,
       round(x.masses_total / c.n_criteria, 2)::float8,
       x.owner_ballots, x.secretary_ballots, x.members_ballots, x.masses_ballots,
       array_remove(ARRAY[
           CASE WHEN x.use_owner THEN 'owner' END,
           CASE WHEN x.use_secretary THEN 'secretary' END,
           CASE WHEN x.use_members THEN 'members' END,
           CASE WHEN x.use_masses THEN 'masses' END
       ]::varchar[], NULL),
       x.used_weight < 100,
       x.weighted_score::float8,
       x.score_stars,
       CASE WHEN x.star_capped THEN 4 ELSE x.score_stars END,
       x.star_capped,
       x.score_grade,
       CASE WHEN x.grade_limited THEN 'qualified' ELSE x.score_grade END,
       x.grade_limited,
       prev.stars,
       CAST(:finalized_at AS timestamptz)
FROM limited x
CROSS JOIN c
LEFT JOIN LATERAL (
    SELECT l.stars FROM star_level_history l
    WHERE l.subject_kind = 'member' AND l.subject_id = x.member_id
      AND l.valid_from <= :today AND (l.valid_until IS NULL OR l.valid_until > :today)
    ORDER BY l.valid_from DESC, l.recorded_at DESC LIMIT 1
) prev ON true
"""
)

END_MEMBER_LEVELS = text(
    """
UPDATE star_level_history l SET valid_until = CAST(:today AS date)
FROM evaluation_result r
WHERE r.campaign_id = :campaign_id
  AND l.subject_kind = 'member' AND l.subject_id = r.member_id
  AND (l.valid_until IS NULL OR l.valid_until > :today)
"""
)

ADD_MEMBER_LEVELS = text(
    """
INSERT INTO star_level_history (
    id, subject_kind, subject_id, stars, showcase, valid_from, valid_until, source, source_id,
    organization_id, organization_chain, region_chain, recorded_at
)
SELECT gen_random_uuid(), 'member', r.member_id, r.stars, false, CAST(:today AS date), NULL,
       'evaluation', r.campaign_id, r.organization_id, o.organization_chain, o.region_chain,
       CAST(:finalized_at AS timestamptz)
FROM evaluation_result r
JOIN campaign_organization o
  ON o.campaign_id = r.campaign_id AND o.organization_id = r.organization_id
WHERE r.campaign_id = :campaign_id
"""
)


async def compute_results(
    session: AsyncSession, campaign_id: uuid.UUID, finalized_at: datetime, today: date
) -> int:
    """Write every evaluated member's result; returns how many."""
    connection = await session.connection()
    result = await connection.execute(
        COMPUTE_RESULTS,
        {"campaign_id": campaign_id, "finalized_at": finalized_at, "today": today},
    )
    return int(result.rowcount)


async def record_member_levels(
    session: AsyncSession, campaign_id: uuid.UUID, finalized_at: datetime, today: date
) -> None:
    """Each evaluated member's stars become their level from today, replacing the last one."""
    connection = await session.connection()
    params = {"campaign_id": campaign_id, "finalized_at": finalized_at, "today": today}
    await connection.execute(END_MEMBER_LEVELS, params)
    await connection.execute(ADD_MEMBER_LEVELS, params)


def json_object(**fields: Any) -> Any:
    """SQL jsonb_build_object of the given keys and column expressions."""
    args: list[Any] = []
    for key, value in fields.items():
        args += [literal(key, String()), value]
    return func.jsonb_build_object(*args)


def finalized_rows(campaign_id: uuid.UUID, finalized_at: datetime) -> Any:
    """Rows (subject, data) of rating.evaluation.finalized, one per result: the agreed payload."""
    r, c = EvaluationResult, Campaign
    data = json_object(
        campaign_id=col(r.campaign_id),
        member_id=col(r.member_id),
        organization_id=col(r.organization_id),
        period_start=col(c.period_start),
        period_end=col(c.period_end),
        weighted_score=col(r.weighted_score),
        stars=col(r.stars),
        parties_used=func.to_jsonb(col(r.parties_used)),
        rescaled=col(r.rescaled),
        capped=col(r.capped),
        grade=col(r.grade),
        finalized_at=literal(finalized_at.isoformat(), String()),
    )
    return (
        sql_select(cast(col(r.member_id), String).label("subject"), data.label("data"))
        .join(c, col(c.id) == col(r.campaign_id))
        .where(col(r.campaign_id) == campaign_id)
        .order_by(col(r.member_id))
    )


def member_level_rows(campaign_id: uuid.UUID, today: date) -> Any:
    """Rows (subject, data) of rating.star_level.changed for members whose stars changed."""
    r = EvaluationResult
    data = json_object(
        subject_kind=literal("member", String()),
        subject_id=col(r.member_id),
        stars=col(r.stars),
        previous_stars=col(r.previous_stars),
        valid_from=literal(today.isoformat(), String()),
        valid_until=null(),
        showcase=false(),
    )
    return (
        sql_select(cast(col(r.member_id), String).label("subject"), data.label("data"))
        .where(
            col(r.campaign_id) == campaign_id,
            col(r.previous_stars).is_distinct_from(col(r.stars)),
        )
        .order_by(col(r.member_id))
    )


async def summary(session: AsyncSession, campaign_id: uuid.UUID) -> dict[str, int]:
    r = EvaluationResult
    statement = sql_select(
        func.count(),
        func.count().filter(col(r.rescaled)),
        func.count().filter(col(r.stars) == 5),
        func.count().filter(col(r.capped)),
        func.count().filter(col(r.grade) == "excellent"),
        func.count().filter(col(r.grade_capped)),
    ).where(col(r.campaign_id) == campaign_id)
    row = (await (await session.connection()).execute(statement)).one()
    keys = ("evaluated", "rescaled", "five_stars", "capped", "excellent", "grade_capped")
    return dict(zip(keys, (int(v) for v in row), strict=True))


async def page(
    session: AsyncSession,
    params: PageParams,
    where: Any,
    *,
    campaign_id: uuid.UUID | None = None,
    member_ids: Sequence[uuid.UUID] | None = None,
    organization_id: uuid.UUID | None = None,
) -> KeysetPage:
    statement = select(EvaluationResult).where(where)
    if campaign_id is not None:
        statement = statement.where(EvaluationResult.campaign_id == campaign_id)
    if member_ids is not None:
        statement = statement.where(col(EvaluationResult.member_id).in_(member_ids))
    if organization_id is not None:
        statement = statement.where(EvaluationResult.organization_id == organization_id)
    order: list[Any] = [
        col(EvaluationResult.finalized_at),
        col(EvaluationResult.campaign_id),
        col(EvaluationResult.member_id),
    ]
    return await keyset_page(session, statement, order_by=order, params=params)
