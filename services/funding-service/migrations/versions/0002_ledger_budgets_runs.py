"""The ledger (accounts, transfers, immutable entries), budget lines and budgets, idempotency
keys, policy parameters, period runs, and the projections of member and rating events.

Revision ID: funding_0002
Revises: funding_0001
Create Date: 2026-11-27
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from service_kit.policy import PolicyKey, create_policy_table

revision = "funding_0002"
down_revision = "funding_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

# The values DOMAIN.md gives, seeded as data (later values are added as dated rows).
SEEDED_POLICY = (
    PolicyKey("secretary_allowance_monthly_fen", "", {"urban": 40_000, "county": 20_000}, dict),
    PolicyKey("per_member_fund_yearly_fen", "", 30_000, int),
    PolicyKey("city_committee_operating_fund_yearly_fen", "", 400_000_000, int),
    PolicyKey("per_member_count_day", "", "01-01", str),
)

# 三项经费、一项津贴 (DOMAIN.md "Funding"); new lines are rows added through the API.
SEEDED_LINES = (
    (
        "7f3c1b2a-0a51-4c57-9a55-000000000001",
        "operating_funds",
        "工委工作经费",
        "Working-committee operating funds (city committee: 4,000,000 yuan a year).",
    ),
    (
        "7f3c1b2a-0a51-4c57-9a55-000000000002",
        "per_member_funds",
        "基层党建工作经费",
        "Grassroots party-building funds: 300 yuan per member a year, to the member's "
        "organization.",
    ),
    (
        "7f3c1b2a-0a51-4c57-9a55-000000000003",
        "venue_funds",
        "阵地建设运行经费",
        "Construction and running of guidance and activity centers.",
    ),
    (
        "7f3c1b2a-0a51-4c57-9a55-000000000004",
        "secretary_allowance",
        "党组织书记津贴",
        "Secretary allowance: 400 yuan a month in urban districts, 200 in counties.",
    ),
)

ACCOUNT_KINDS = "'treasury','budget','organization','payee','dues','external'"
TRANSFER_KINDS = (
    "'budget_allocation','budget_adjustment','appropriation','disbursement','reallocation',"
    "'secretary_allowance','per_member_funds','operating_funds','project_award',"
    "'dues_payment','reversal'"
)

IMMUTABLE = (
    """
    CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % is refused; correct by a reversal',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END $$
    """,
    "CREATE TRIGGER transfer_append_only BEFORE UPDATE OR DELETE ON transfer "
    "FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()",
    "CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry "
    "FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only()",
)


def upgrade() -> None:
    create_policy_table(op, SEEDED_POLICY)

    lines = op.create_table(
        "budget_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_line"),
        sa.CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name="ck_budget_line_code"),
    )
    op.create_index("uq_budget_line_code", "budget_line", ["code"], unique=True)
    now = datetime.now(UTC)
    op.bulk_insert(
        lines,
        [
            {
                "id": line_id,
                "code": code,
                "name": name,
                "description": description,
                "created_at": now,
                "created_by": "migration",
            }
            for line_id, code, name, description in SEEDED_LINES
        ],
    )

    op.create_table(
        "account",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(10)),
        sa.Column("region_id", sa.Uuid()),
        sa.Column("district_id", sa.Uuid()),
        sa.Column("organization_id", sa.Uuid()),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("budget_line_id", sa.Uuid()),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account"),
        sa.ForeignKeyConstraint(
            ["budget_line_id"], ["budget_line.id"], name="fk_account_budget_line_id_budget_line"
        ),
        sa.CheckConstraint(f"kind IN ({ACCOUNT_KINDS})", name="ck_account_kind"),
        sa.CheckConstraint(
            "level IS NULL OR level IN ('city','district')", name="ck_account_level"
        ),
        sa.CheckConstraint("allow_negative OR balance_fen >= 0", name="ck_account_not_overdrawn"),
    )
    for name, columns, where in (
        ("uq_account_treasury", ["level", "region_id"], "kind = 'treasury'"),
        ("uq_account_organization", ["organization_id", "budget_line_id"], "kind = 'organization'"),
        ("uq_account_payee_member", ["member_id"], "kind = 'payee' AND member_id IS NOT NULL"),
        ("uq_account_dues", ["organization_id"], "kind = 'dues'"),
        ("uq_account_external", ["name"], "kind = 'external'"),
    ):
        op.create_index(name, "account", columns, unique=True, postgresql_where=sa.text(where))
    op.create_index("ix_account_district_id", "account", ["district_id"])
    op.create_index("ix_account_kind_name_id", "account", ["kind", "name", "id"])

    op.create_table(
        "transfer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("debit_account_id", sa.Uuid(), nullable=False),
        sa.Column("credit_account_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("memo", sa.String(500)),
        sa.Column("reverses_transfer_id", sa.Uuid()),
        sa.Column("budget_id", sa.Uuid()),
        sa.Column("period_run_id", sa.Uuid()),
        sa.Column("organization_id", sa.Uuid()),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transfer"),
        sa.ForeignKeyConstraint(
            ["debit_account_id"], ["account.id"], name="fk_transfer_debit_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id"], ["account.id"], name="fk_transfer_credit_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["reverses_transfer_id"],
            ["transfer.id"],
            name="fk_transfer_reverses_transfer_id_transfer",
        ),
        sa.CheckConstraint(f"kind IN ({TRANSFER_KINDS})", name="ck_transfer_kind"),
        sa.CheckConstraint("amount_fen > 0", name="ck_transfer_amount_positive"),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name="ck_transfer_two_accounts"
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_transfer_id IS NOT NULL)",
            name="ck_transfer_reversal_link",
        ),
    )
    op.create_index(
        "uq_transfer_reverses_transfer_id", "transfer", ["reverses_transfer_id"], unique=True
    )
    op.create_index("ix_transfer_period_run_id", "transfer", ["period_run_id"])
    op.create_index("ix_transfer_budget_id", "transfer", ["budget_id"])
    op.create_index("ix_transfer_created_at_id", "transfer", ["created_at", "id"])

    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("counter_account_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("posted_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entry"),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfer.id"], name="fk_ledger_entry_transfer_id_transfer"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_ledger_entry_account_id_account"
        ),
        sa.ForeignKeyConstraint(
            ["counter_account_id"],
            ["account.id"],
            name="fk_ledger_entry_counter_account_id_account",
        ),
        sa.CheckConstraint("amount_fen <> 0", name="ck_ledger_entry_amount_not_zero"),
    )
    op.create_index("ix_ledger_entry_account_id_id", "ledger_entry", ["account_id", "id"])
    op.create_index("ix_ledger_entry_transfer_id", "ledger_entry", ["transfer_id"])
    for statement in IMMUTABLE:
        op.execute(statement)

    op.create_table(
        "budget",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.Column("region_name", sa.String(100), nullable=False),
        sa.Column("district_id", sa.Uuid()),
        sa.Column("budget_line_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget"),
        sa.ForeignKeyConstraint(
            ["budget_line_id"], ["budget_line.id"], name="fk_budget_budget_line_id_budget_line"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name="fk_budget_account_id_account"
        ),
        sa.CheckConstraint("level IN ('city','district')", name="ck_budget_level"),
        sa.CheckConstraint("fiscal_year BETWEEN 2000 AND 2100", name="ck_budget_fiscal_year"),
        sa.CheckConstraint("amount_fen >= 0", name="ck_budget_amount"),
    )
    op.create_index(
        "uq_budget_year_level_region_line",
        "budget",
        ["fiscal_year", "level", "region_id", "budget_line_id"],
        unique=True,
    )
    op.create_index("uq_budget_account_id", "budget", ["account_id"], unique=True)
    op.create_index("ix_budget_region_id_fiscal_year", "budget", ["region_id", "fiscal_year"])

    op.create_table(
        "idempotency_key",
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("response", JSONB()),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("subject", "key", name="pk_idempotency_key"),
    )
    op.create_index("ix_idempotency_key_expires_at", "idempotency_key", ["expires_at"])

    op.create_table(
        "period_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("paid_count", sa.Integer(), nullable=False),
        sa.Column("paid_total_fen", sa.BigInteger(), nullable=False),
        sa.Column("skipped_count", sa.Integer(), nullable=False),
        sa.Column("skipped_by_reason", JSONB(), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_period_run"),
        sa.CheckConstraint(
            "kind IN ('secretary_allowance','per_member_funds','operating_funds')",
            name="ck_period_run_kind",
        ),
    )
    op.create_index(
        "ix_period_run_kind_period_start", "period_run", ["kind", "period_start", "started_at"]
    )
    op.create_index("ix_period_run_started_at_id", "period_run", ["started_at", "id"])

    op.create_table(
        "period_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(50)),
        sa.Column("district_id", sa.Uuid()),
        sa.Column("organization_id", sa.Uuid()),
        sa.Column("organization_name", sa.String(200)),
        sa.Column("member_id", sa.Uuid()),
        sa.Column("payee_name", sa.String(200)),
        sa.Column("budget_id", sa.Uuid()),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("transfer_id", sa.Uuid()),
        sa.Column("basis", JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_period_line"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["period_run.id"], name="fk_period_line_run_id_period_run"
        ),
        sa.CheckConstraint("status IN ('paid','skipped')", name="ck_period_line_status"),
        sa.CheckConstraint("amount_fen >= 0", name="ck_period_line_amount"),
    )
    op.create_index("ix_period_line_run_id_id", "period_line", ["run_id", "id"])

    op.create_table(
        "period_payment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("member_key", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reversed_at", TZ),
        sa.PrimaryKeyConstraint("id", name="pk_period_payment"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["period_run.id"], name="fk_period_payment_run_id_period_run"
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfer.id"], name="fk_period_payment_transfer_id_transfer"
        ),
    )
    op.create_index(
        "uq_period_payment_once",
        "period_payment",
        ["kind", "period_start", "organization_id", "member_key"],
        unique=True,
        postgresql_where=sa.text("reversed_at IS NULL"),
    )
    op.create_index("uq_period_payment_transfer_id", "period_payment", ["transfer_id"], unique=True)

    op.create_table(
        "member_period",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        sa.PrimaryKeyConstraint("id", name="pk_member_period"),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name="ck_member_period_valid_range"
        ),
    )
    op.create_index(
        "ix_member_period_member_id_valid_from", "member_period", ["member_id", "valid_from"]
    )
    op.create_index(
        "ix_member_period_organization_id_valid_from",
        "member_period",
        ["organization_id", "valid_from"],
    )
    op.create_index(
        "uq_member_period_open",
        "member_period",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )

    op.create_table(
        "secretary_term",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date()),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_secretary_term"),
        sa.CheckConstraint(
            "term_end IS NULL OR term_end >= term_start", name="ck_secretary_term_term_range"
        ),
    )
    op.create_index(
        "uq_secretary_term_member_organization_start",
        "secretary_term",
        ["member_id", "organization_id", "term_start"],
        unique=True,
    )
    op.create_index("ix_secretary_term_term_start", "secretary_term", ["term_start"])

    op.create_table(
        "star_level",
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("previous_stars", sa.Integer()),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("showcase", sa.Boolean(), nullable=False),
        sa.Column("announced_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("subject_kind", "subject_id", name="pk_star_level"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="ck_star_level_stars"),
        sa.CheckConstraint(
            "subject_kind IN ('organization','member')", name="ck_star_level_subject_kind"
        ),
    )


def downgrade() -> None:
    for table in (
        "star_level",
        "secretary_term",
        "member_period",
        "period_payment",
        "period_line",
        "period_run",
        "idempotency_key",
        "budget",
        "ledger_entry",
        "transfer",
        "account",
        "budget_line",
        "policy_parameter",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION ledger_is_append_only()")
