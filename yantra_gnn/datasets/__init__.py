"""Where programs come from: CodeContests (hub or local copy), the bundled sample, HumanEval."""
