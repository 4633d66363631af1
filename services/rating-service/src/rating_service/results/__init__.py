"""Closing a campaign: weighted scores, stars with the 5-star cap, grades, and their events."""
