"""Ballots of four-party evaluations: one per evaluator, member and campaign, never traceable."""
