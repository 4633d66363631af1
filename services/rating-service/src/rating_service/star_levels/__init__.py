"""Star levels of members and organizations: their history and the level in force."""
