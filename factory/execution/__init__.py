"""The execution stage: run every candidate of a batch in the sandbox and keep the verdicts.

References run first and twice: a prompt whose reference fails is not gradable (quarantined), a
verdict that changes between two identical runs makes it flaky. See `factory.execution.stage`.
"""
