"""Sensors that start runs: on a new batch in the inbox, when a batch's reviews are complete,
and on a new repository snapshot in the repository inbox."""

from sensors.inbox import inbox_sensor
from sensors.repo_inbox import repo_inbox_sensor
from sensors.review_complete import review_complete_sensor

SENSORS: list = [inbox_sensor, review_complete_sensor, repo_inbox_sensor]
