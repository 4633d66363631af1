"""org-service: places, the organizational structure, work targets and coverage."""
