"""Automatic quality signals per candidate, stored as `Finding` rows, one per observation."""
