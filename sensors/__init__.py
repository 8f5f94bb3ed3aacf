"""Sensors that start runs: on a new batch in the inbox, and when a batch's reviews are complete."""

SENSORS: list = []
