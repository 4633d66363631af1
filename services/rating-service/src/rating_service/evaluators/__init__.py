"""The evaluator registry (owners, masses) and the one place deciding who may evaluate whom."""
