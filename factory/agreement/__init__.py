"""Agreement between reviewers: preference kappa, dimension alpha, gold accuracy, flagging.

Figures come from scikit-learn (`cohen_kappa_score`) and the `krippendorff` package; this package
only chooses the data behind each figure and bootstraps confidence intervals.
"""
