"""Batch sign-off: a senior calibrator's explicit approval of a reviewed batch, the gate before
packaging (records.py), its stage (stage.py), and the simulated calibrator of demonstrations
(simulated.py)."""
