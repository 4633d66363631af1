"""Shared building blocks of every service: settings, database, errors, auth, events, operations."""
