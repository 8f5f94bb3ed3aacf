"""Python dependency recipes, read from a commit's files without running any of them."""

import pytest

from factory.envs.ecosystems import ecosystem_for
from factory.envs.ecosystems.python import PythonEcosystem
from factory.envs.images import recipe_hash

PY = PythonEcosystem()


def recipe_of(files: dict[str, str]) -> dict:
    return PY.recipe(files.get).spec


def test_pyproject_dependencies_test_extras_and_groups() -> None:
    spec = recipe_of(
        {
            "pyproject.toml": """
[build-system]
requires = ["hatchling>=1.27", "hatch-vcs"]
build-backend = "hatchling.build"
[project]
name = "Humanize"
requires-python = ">=3.10"
dependencies = ["tzdata; sys_platform == 'win32'", "python-dateutil>=2"]
[project.optional-dependencies]
tests = ["freezegun", "pytest>=9", "humanize==4.0"]
docs = ["mkdocs"]
[dependency-groups]
test = ["pytest-cov"]
"""
        }
    )
    assert spec["project"] == "humanize"
    assert spec["build_backend"] == "hatchling.build"
    # hatchling builds editable installs with `editables`.
    assert spec["build_requires"] == ["editables", "hatch-vcs", "hatchling>=1.27"]
    # The Windows-only marker drops tzdata; docs extras are not installed; the project's own
    # release never is.
    assert spec["requires"] == ["freezegun", "pytest-cov", "pytest>=9", "python-dateutil>=2"]


def test_setup_py_is_read_from_its_syntax_tree() -> None:
    spec = recipe_of(
        {
            "setup.py": """
from setuptools import setup
import os
os.system("echo never runs")
REQS = ["six>=1.10"]
setup(name="oldpkg", install_requires=REQS, tests_require=["mock"],
      extras_require={"test": ["pytest<8"], "yaml": ["pyyaml"]}, python_requires=">=3.6")
"""
        }
    )
    assert spec["project"] == "oldpkg"
    assert spec["build_backend"] == "setuptools.build_meta:__legacy__"
    assert spec["requires"] == ["mock", "pytest<8", "six>=1.10"]
    assert spec["requires_python"] == ">=3.6"


def test_setup_cfg_tox_extras_and_requirement_files() -> None:
    spec = recipe_of(
        {
            "setup.cfg": "[metadata]\nname = thing\n[options]\ninstall_requires =\n    attrs\n"
            "[options.extras_require]\ncheck =\n    hypothesis\n",
            "tox.ini": "[testenv]\ndeps =\n    coverage\n    py38: oldthing\nextras = check\n",
            "requirements-test.txt": "# pinned\nfreezegun==1.5.1  # time\n-r base.txt\n",
        }
    )
    assert spec["requires"] == ["attrs", "coverage", "freezegun==1.5.1", "hypothesis", "pytest"]


def test_unusable_requirements_are_noted_not_installed() -> None:
    recipe = PY.recipe(
        {
            "pyproject.toml": '[project]\nname = "x"\n'
            'dependencies = ["pkg @ https://example.org/p.whl", "not a req!!"]\n'
        }.get
    )
    assert recipe.spec["requires"] == ["pytest"]
    assert any("URL" in note for note in recipe.notes)
    assert any("not a requirement" in note for note in recipe.notes)


def test_equal_recipes_share_a_hash_and_a_changed_one_does_not() -> None:
    one = PY.recipe({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["a", "b"]\n'}.get)
    same = PY.recipe({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["b", "a"]\n'}.get)
    other = PY.recipe({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["a"]\n'}.get)
    assert recipe_hash(one, "base:1") == recipe_hash(same, "base:1")
    assert recipe_hash(one, "base:1") != recipe_hash(other, "base:1")
    assert recipe_hash(one, "base:1") != recipe_hash(one, "base:2")


@pytest.mark.parametrize(
    ("path", "test", "source"),
    [
        ("tests/test_x.py", True, False),
        ("tests/files/query.sql", True, False),
        ("src/pkg/tests/helpers.py", True, False),
        ("pkg/x_test.py", True, False),
        ("conftest.py", True, False),
        ("src/pkg/core.py", False, True),
        ("docs/index.rst", False, False),
        ("pkg/_speedups.pyx", False, True),
    ],
)
def test_which_files_are_tests_and_which_are_code(path: str, test: bool, source: bool) -> None:
    assert PY.is_test_file(path) is test
    assert PY.is_source_file(path) is source


def test_only_test_modules_are_run_and_python_is_recognised() -> None:
    assert PY.test_modules(
        ["tests/conftest.py", "tests/test_b.py", "tests/data.json", "a_test.py"]
    ) == [
        "a_test.py",
        "tests/test_b.py",
    ]
    assert ecosystem_for({"setup.py", "README"}) is not None
    assert ecosystem_for({"Makefile"}) is None
