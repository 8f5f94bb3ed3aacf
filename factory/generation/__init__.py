"""Candidate generation: from any OpenAI-compatible server (cached, retried) or a replay file."""
