"""Where programs come from: CodeContests (hub or local copy) and the bundled sample."""
