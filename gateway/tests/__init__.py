"""Tests of the gateway (a package, so that its modules do not take the name of the gateway package)."""
