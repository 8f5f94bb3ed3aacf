"""Python repositories: dependencies from pyproject.toml, setup.py, setup.cfg, requirements files
and tox.ini; wheels downloaded on the host (never built there), installed into a venv in the
image without network; the project installed editable at the task's commit; pytest with the
factory's report plugin."""

import ast
import configparser
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from factory.envs.ecosystems.base import Ecosystem, EnvBuildError, ReadFile, Recipe, TestCommand

# The base image's interpreter (Debian bookworm's python3): wheels are chosen for it.
PYTHON_VERSION = "3.11"
_PLATFORMS = ("manylinux_2_36", "manylinux_2_28", "manylinux_2_17", "manylinux2014", "linux")
_TEST_GROUPS = ("test", "tests", "testing")
_REQUIREMENT_FILES = (
    "requirements.txt",
    "requirements-test.txt",
    "requirements_test.txt",
    "test-requirements.txt",
    "test_requirements.txt",
    "requirements/test.txt",
    "requirements/tests.txt",
    "requirements/testing.txt",
    "tests/requirements.txt",
)
# What a build backend asks for on top of its own `requires` when building editable.
_EDITABLE_EXTRAS = {"hatchling.build": ["editables"], "setuptools.build_meta": ["wheel"]}
_DEFAULT_BUILD = ["setuptools>=40.8.0", "wheel"]
_DEFAULT_BACKEND = "setuptools.build_meta:__legacy__"
REPORT_PLUGIN = "factory_pytest_report"
_PLUGIN_FILE = Path(__file__).resolve().parents[1] / "driver" / f"{REPORT_PLUGIN}.py"


class PythonEcosystem(Ecosystem):
    name = "python"
    markers = ("pyproject.toml", "setup.py", "setup.cfg")

    def is_test_file(self, path: str) -> bool:
        parts = PurePosixPath(path).parts
        name = parts[-1]
        in_test_dir = any(part in ("test", "tests", "testing") for part in parts[:-1])
        return in_test_dir or _is_test_module(name) or name == "conftest.py"

    def is_source_file(self, path: str) -> bool:
        return path.endswith((".py", ".pyi", ".pyx")) and not self.is_test_file(path)

    def test_modules(self, paths: list[str]) -> list[str]:
        return sorted(p for p in paths if _is_test_module(PurePosixPath(p).name))

    def recipe(self, read: ReadFile) -> Recipe:
        notes: list[str] = []
        declared = _Declared()
        pyproject = _toml(read("pyproject.toml"), notes)
        build = pyproject.get("build-system", {})
        backend = str(build.get("build-backend") or _DEFAULT_BACKEND)
        build_requires = [str(r) for r in build.get("requires") or _DEFAULT_BUILD]
        project = pyproject.get("project", {})
        declared.name = str(project.get("name") or "")
        declared.requires_python = str(project.get("requires-python") or "")
        declared.add(project.get("dependencies") or [])
        extras: dict[str, list[str]] = dict(project.get("optional-dependencies") or {})
        groups = pyproject.get("dependency-groups") or {}
        _read_setup_py(read("setup.py"), declared, extras, notes)
        _read_setup_cfg(read("setup.cfg"), declared, extras)
        wanted = _read_tox(read("tox.ini"), declared) | set(_TEST_GROUPS)
        for group in wanted:
            declared.add(extras.get(group) or [])
            declared.add([g for g in groups.get(group) or [] if isinstance(g, str)])
        for name in _REQUIREMENT_FILES:
            declared.add(_requirement_lines(read(name)))
        requires = _normalise(declared, notes)
        if not any(canonicalize_name(Requirement(r).name) == "pytest" for r in requires):
            requires.append("pytest")
        build_requires = _normalise_list(
            build_requires + _EDITABLE_EXTRAS.get(backend.split(":")[0], []), notes
        )
        spec = {
            "python": PYTHON_VERSION,
            "project": canonicalize_name(declared.name) if declared.name else "",
            "requires_python": declared.requires_python,
            "build_backend": backend,
            "build_requires": build_requires,
            "requires": sorted(set(requires)),
        }
        return Recipe(ecosystem=self.name, spec=spec, notes=tuple(notes))

    def download(self, recipe: Recipe, into: Path, timeout_s: float) -> str:
        spec = recipe.spec
        if spec.get("requires_python"):
            try:
                allowed = SpecifierSet(spec["requires_python"]).contains(PYTHON_VERSION + ".0")
            except InvalidSpecifier:
                allowed = True
            if not allowed:
                raise EnvBuildError(
                    f"the project requires Python {spec['requires_python']}; "
                    f"the environment has {PYTHON_VERSION}"
                )
        requirements = ["pip", *spec["build_requires"], *spec["requires"]]
        into.mkdir(parents=True, exist_ok=True)
        (into / "requirements.txt").write_text("\n".join(requirements[1:]) + "\n")
        platforms = [f"--platform={p}_x86_64" for p in _PLATFORMS]
        argv = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
        argv += [f"--python-version={PYTHON_VERSION}", "--implementation=cp"]
        argv += [f"--abi=cp{PYTHON_VERSION.replace('.', '')}", *platforms, "-d", str(into)]
        try:
            done = subprocess.run(
                [*argv, *requirements], capture_output=True, text=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired as exc:
            raise EnvBuildError(
                f"downloading the dependencies took over {timeout_s:.0f} s"
            ) from exc
        log = done.stdout + done.stderr
        if done.returncode != 0:
            errors = [line for line in log.splitlines() if line.startswith("ERROR")]
            raise EnvBuildError(
                "dependencies could not be had as wheels for Python "
                f"{PYTHON_VERSION}: {' '.join(errors[:2]) or log[-300:]}"
            )
        return log

    def install_script(self, recipe: Recipe) -> str:
        project = recipe.spec.get("project") or ""
        own_release = (
            f"if /opt/env/bin/python -m pip show -q {project} 2>/dev/null; then\n"
            f'  echo "a release of the project itself ({project}) was installed" >&2; exit 3\n'
            "fi\n"
            if project
            else ""
        )
        return (
            "set -eu\n"
            "python3 -m venv --without-pip /opt/env\n"
            "PIP=$(ls /factory-downloads/pip-*.whl | head -n1)\n"
            '/opt/env/bin/python "$PIP/pip" install --quiet --no-index --no-cache-dir '
            "--disable-pip-version-check --find-links /factory-downloads "
            "-r /factory-downloads/requirements.txt pip\n"
            f"{own_release}"
            "chown -R 65534:65534 /opt/env\n"
        )

    def prepare_argv(self) -> list[str]:
        return [
            "/opt/env/bin/python", "-m", "pip", "install", "--quiet", "--no-deps",
            "--no-build-isolation", "--no-index", "--no-cache-dir",
            "--disable-pip-version-check", "-e", ".",
        ]  # fmt: skip

    def test_command(self, modules: list[str], report_plugin: str) -> TestCommand:
        argv = ["/opt/env/bin/python", "-m", "pytest", "-p", report_plugin]
        argv += ["-p", "no:cacheprovider", "-q", "-rN", "--color=no", "--", *modules]
        return TestCommand(argv=argv)

    def driver_files(self) -> dict[str, bytes]:
        return {f"{REPORT_PLUGIN}.py": _PLUGIN_FILE.read_bytes()}


def _is_test_module(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


class _Declared:
    def __init__(self) -> None:
        self.name = ""
        self.requires_python = ""
        self.lines: list[str] = []

    def add(self, lines: object) -> None:
        if isinstance(lines, str):
            lines = lines.splitlines()
        if isinstance(lines, list | tuple):
            self.lines += [str(line).strip() for line in lines if str(line).strip()]


def _toml(text: str | None, notes: list[str]) -> dict:
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        notes.append(f"pyproject.toml does not parse: {exc}")
        return {}


def _literal(node: ast.AST | None, names: Mapping[str, ast.AST]) -> object:
    """A literal from setup.py's AST, following module-level names; None when not literal."""
    if isinstance(node, ast.Name) and node.id in names:
        node = names[node.id]
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _read_setup_py(
    text: str | None, declared: _Declared, extras: dict[str, list[str]], notes: list[str]
) -> None:
    """setup(...)'s literal arguments, read from the AST: setup.py is never executed here."""
    if text is None:
        return
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        notes.append(f"setup.py is not Python 3 ({exc.msg}, line {exc.lineno})")
        return
    names = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "setup"):
            if not (isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "setup"):
                continue
        for keyword in call.keywords:
            value = _literal(keyword.value, names)
            if keyword.arg == "name" and isinstance(value, str) and not declared.name:
                declared.name = value
            elif keyword.arg in ("install_requires", "tests_require"):
                declared.add(value)
            elif keyword.arg == "extras_require" and isinstance(value, dict):
                for group, lines in value.items():
                    extras.setdefault(str(group), []).extend(
                        lines.splitlines() if isinstance(lines, str) else list(lines)
                    )
            elif keyword.arg == "python_requires" and isinstance(value, str):
                declared.requires_python = declared.requires_python or value


def _read_setup_cfg(text: str | None, declared: _Declared, extras: dict[str, list[str]]) -> None:
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    if not declared.name:
        declared.name = parser.get("metadata", "name", fallback="")
    declared.add(parser.get("options", "install_requires", fallback=""))
    declared.add(parser.get("options", "tests_require", fallback=""))
    if not declared.requires_python:
        declared.requires_python = parser.get("options", "python_requires", fallback="")
    if parser.has_section("options.extras_require"):
        for group, lines in parser.items("options.extras_require"):
            extras.setdefault(group, []).extend(lines.splitlines())


def _read_tox(text: str | None, declared: _Declared) -> set[str]:
    """tox's test environment: its deps, and the extras it installs (their names)."""
    if text is None:
        return set()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return set()
    if not parser.has_section("testenv"):
        return set()
    deps = parser.get("testenv", "deps", fallback="")
    declared.add([line for line in deps.splitlines() if "{" not in line and ":" not in line])
    extras = parser.get("testenv", "extras", fallback="")
    return {e.strip() for e in extras.replace(",", "\n").splitlines() if e.strip()}


def _requirement_lines(text: str | None) -> list[str]:
    if text is None:
        return []
    lines = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def _normalise(declared: _Declared, notes: list[str]) -> list[str]:
    """Declared lines as requirements; the project's own name, URLs and local paths left out."""
    own = canonicalize_name(declared.name) if declared.name else None
    kept = []
    for requirement in _normalise_list(declared.lines, notes):
        parsed = Requirement(requirement)
        if own and canonicalize_name(parsed.name) == own:
            notes.append(f"{requirement}: a release of the project itself is never installed")
        elif parsed.url:
            notes.append(f"{requirement}: installed from a URL, which the build cannot reach")
        else:
            kept.append(requirement)
    return kept


def _normalise_list(lines: list[str], notes: list[str]) -> list[str]:
    kept: list[str] = []
    for line in lines:
        try:
            parsed = Requirement(line)
        except InvalidRequirement:
            notes.append(f"{line!r} is not a requirement; left out")
            continue
        if parsed.marker is not None and not _applies(parsed):
            continue
        parsed.marker = None
        text = str(parsed)
        if text not in kept:
            kept.append(text)
    return sorted(kept)


def _applies(requirement: Requirement) -> bool:
    """Whether the requirement's marker holds in the environment (Linux, the base's Python)."""
    assert requirement.marker is not None
    environment = {"python_version": PYTHON_VERSION, "python_full_version": PYTHON_VERSION + ".2"}
    try:
        return requirement.marker.evaluate({**environment, "extra": ""})
    except Exception:  # a marker naming something no environment defines: keep the requirement
        return True
