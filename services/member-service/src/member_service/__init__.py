"""member-service: members, the development pipeline, quotas, transfers, posts and the political archive."""
