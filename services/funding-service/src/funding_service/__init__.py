"""funding-service: double-entry ledgers for the three funds and the secretary allowance, budgets, dues and projects."""
