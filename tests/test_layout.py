"""The layering contracts cover every module, and the layout in docs/architecture.md
is true."""
from __future__ import annotations

import re
import tomllib

from tests.helpers import PROJECT_ROOT

JANUS = PROJECT_ROOT / "janus"
# The processes' entry points (gunicorn janus.wsgi:app, janus-serve): they
# start the web app, so they sit above every layer, the web one included.
ENTRY_POINTS = {"janus.wsgi", "janus.serve"}


def top_level_modules() -> set[str]:
    return {f"janus.{path.stem}" for path in JANUS.iterdir()
            if (path.suffix == ".py" and path.stem != "__init__")
            or (path.is_dir() and (path / "__init__.py").exists())}


def test_the_domain_contract_lists_every_module_but_the_web_layer():
    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["forbidden_modules"] == ["janus.web"])
    assert set(contract["source_modules"]) == top_level_modules() - {"janus.web"} - ENTRY_POINTS


def test_the_documented_layout_names_every_module():
    page = (PROJECT_ROOT / "docs/architecture.md").read_text()
    section = page.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\s*(\w+)(?:\.py|/)", section, re.M))
    expected = {name.removeprefix("janus.") for name in top_level_modules()}
    assert expected <= named, sorted(expected - named)
