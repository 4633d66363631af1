"""The GraphQL gateway the mini-program talks to, and the local default's token issuer."""
