"""Gateway tests: a package, so that pytest does not take `gateway` for this folder."""
