"""Publishing a packaged release: to the Hugging Face Hub, or to a local folder laid out alike.

`publisher_for(settings)` picks the target named by `PublishingSettings.target`;
`records.publish_release` runs it for one Release row and records the outcome.
"""
