"""funding-service: ledgers for the three funds and the allowance, budgets, dues, projects."""
