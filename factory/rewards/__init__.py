"""Reward functions that ship with every release (`code_reward.py`, standard library only) and
the small installable package a release carries them in (`rewards/`).

`code_reward.py` never imports the factory: it is copied as it is into each release. The same
folder holds a `pyproject.toml`, so `pip install ./factory/rewards` (from the project) or
`pip install ./rewards` (from a release) installs the `code_reward` module.
"""

from pathlib import Path

SOURCE = Path(__file__).with_name("code_reward.py")
FOLDER = "rewards"  # the release's folder for the package
PYPROJECT = Path(__file__).with_name("pyproject.toml")  # makes the folder pip-installable


def write_reward_package(release: Path) -> Path:
    """Write `rewards/` (the module and its pyproject.toml) into a release folder."""
    folder = release / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "code_reward.py").write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "pyproject.toml").write_text(PYPROJECT.read_text(encoding="utf-8"), encoding="utf-8")
    return folder
