"""Prompt intake: parsing, validation, quarantine, dedup, scrub and decontamination."""
