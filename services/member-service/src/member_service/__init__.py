"""member-service: members, the development pipeline, quotas, transfers, posts, archive."""
