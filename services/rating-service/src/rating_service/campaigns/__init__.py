"""Four-party evaluation campaigns: settings, the roll of members and their secretaries."""
