"""Repository-level environments: a real repository's history turned into SWE-bench-shaped tasks.

The funnel mines commits that change both code and tests (`mining`), installs each dependency
recipe once into an image (`recipe`, `images`, one plug-in per ecosystem in `ecosystems`),
checks each task's base commit out fresh in a throwaway container layer (`workspace`,
`container`), and keeps the tasks that are runnable, gradable and stable (`validation`). A patch
is then graded against a task (`grading`): the verifiable reward for repository tasks.
"""
