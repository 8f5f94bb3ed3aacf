"""Semgrep rules of the signals stage, one file per language (data, shipped with the package)."""
