"""rating-service: four-party evaluation campaigns and star ratings."""
