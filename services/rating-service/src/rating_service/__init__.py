"""rating-service: four-party evaluation campaigns and star ratings of members and organizations."""
