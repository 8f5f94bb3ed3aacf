"""Data bundled with the factory for its demo: hand-checked replay candidates."""
