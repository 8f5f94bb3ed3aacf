"""Packaging: resolved reviews and gradable prompts -> DPO, RLVR, SFT and reward datasets.

Rows are built from plain records (`records.py`), assigned to a split by prompt cluster
(`splits.py`), streamed to Parquet/JSONL (`writer.py`) and described by a data card and a QA
report; `release.py` lays out the release folder and records the Release rows.
"""
