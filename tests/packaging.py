"""Janus as an operator installs it: the wheel built from this checkout, its
dependencies from a wheelhouse, a fresh virtualenv outside the checkout
(tests/test_wheel_install.py). The commands are the ones README.md and
docs/deployment.md give.

The wheelhouse (``pip wheel -r requirements.txt``: the locked versions, as
wheels) is built once per requirements.txt and kept under .venv/, so a run
reaches no registry once it exists: the installs are ``--no-index``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import PROJECT_ROOT

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
TIMEOUT = 600
# Left out of the copy the wheel is built from: what is not the project's
# source (the wheel must not depend on a build/ left over in the checkout).
_ROOT_ONLY = {".git", ".venv", "build", "dist", "instance", "storage", "site", "wheelhouse",
              ".pytest_cache", ".ruff_cache", ".import_linter_cache", "bench.json"}
_ANYWHERE = {"__pycache__", "node_modules"}


def run(args, **kwargs) -> subprocess.CompletedProcess:
    """A command that must succeed; its output is in the failure."""
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True,
                            timeout=TIMEOUT, **kwargs)
    assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
    return result


def _source_only(directory: str, names: list[str]) -> set[str]:
    top = Path(directory).resolve() == PROJECT_ROOT
    return {n for n in names if n in _ANYWHERE or n.endswith((".pyc", ".egg-info"))
            or (top and n in _ROOT_ONLY)}


def build_wheel(work: Path) -> Path:
    """``pip wheel --no-deps . -w dist/`` in a clean copy of this checkout."""
    source = work / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=_source_only, symlinks=True)
    run([*PIP, "wheel", "--quiet", "--no-deps", ".", "-w", work / "dist"], cwd=source)
    (wheel,) = (work / "dist").glob("janus-*.whl")
    return wheel


def wheelhouse() -> Path:
    """``pip wheel -r requirements.txt -w wheelhouse/``, once per requirements.txt."""
    requirements = PROJECT_ROOT / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    house = PROJECT_ROOT / ".venv" / "wheelhouse" / digest
    if not (house / ".complete").exists():
        partial = house.with_name(f"{digest}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        run([*PIP, "wheel", "--quiet", "-r", requirements, "-w", partial])
        (partial / ".complete").touch()
        shutil.rmtree(house, ignore_errors=True)
        partial.rename(house)
    return house


def new_venv(path: Path, with_pip: bool = True) -> Path:
    """``python3 -m venv PATH``; returns its bin/."""
    run([sys.executable, "-m", "venv", *([] if with_pip else ["--without-pip"]), path])
    return path / "bin"


def install_wheel(bin_dir: Path, house: Path, wheel: Path) -> None:
    """``pip install --no-index --find-links wheelhouse/ dist/janus-*.whl``:
    its dependencies come from the ranges it declares, found in the wheelhouse."""
    run([bin_dir / "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
         "--find-links", house, wheel], cwd="/")


def install_requirements(bin_dir: Path, house: Path) -> None:
    """``pip install -r requirements.txt`` (from the wheelhouse), nothing else."""
    run([*PIP, "--python", bin_dir / "python", "install", "--quiet", "--no-index",
         "--find-links", house, "-r", PROJECT_ROOT / "requirements.txt"])


def operator_env(bin_dir: Path, home: Path, **variables: str) -> dict:
    """What an operator's shell has: PATH with the virtualenv first, a HOME,
    and only the variables given (none of this test run's own)."""
    return {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
            "LANG": "C.UTF-8", **variables}
