"""The GraphQL schema the mini-program uses."""
