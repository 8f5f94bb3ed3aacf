"""Sensors that start runs: on a new batch in the inbox, and when a batch's reviews are complete."""

from sensors.inbox import inbox_sensor
from sensors.review_complete import review_complete_sensor

SENSORS: list = [inbox_sensor, review_complete_sensor]
