"""Local development stack: a PostgreSQL cluster, the four services and the gateway as processes."""
