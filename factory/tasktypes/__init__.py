"""Kinds of work beyond comparing a pair: one plug-in per vocab.WorkKind.

Each plug-in (a `WorkType`, factory.tasktypes.base) says what its work is on (`plan`), turns a
submitted form into a validated payload (`parse`), checks it in the sandbox where the kind
allows (`verify`), and writes its structured rows (`store`). The queue, leases and pools are
the review queue's own (factory.review.queue); `submit.submit_work` is the one way in.
Pairwise comparison stays in factory.review; `registry.WORK_TYPES` lists the rest.
"""
