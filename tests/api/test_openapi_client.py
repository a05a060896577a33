"""A client generated from GET /openapi.json (openapi-python-client, offline)
has a function module for every operation of the document: no operation is
dropped because the generator cannot model its schemas."""
from __future__ import annotations

import json
import py_compile
import re
import subprocess
import sys
from pathlib import Path

from tests.api.test_openapi import _operations

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_a_generated_client_has_every_operation(client, tmp_path):
    document = client.get("/openapi.json").json
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    config = tmp_path / "config.yaml"
    # Byte responses (image/*, text/html, */*) are files to the generated client.
    config.write_text("project_name_override: janus-client\npackage_name_override: janus_client\n"
                      "post_hooks: []\ncontent_type_overrides:\n" + "".join(
                          f'  "{media}": application/octet-stream\n'
                          for media in ("image/*", "image/webp", "text/html", "*/*")))
    out = tmp_path / "client"
    run = subprocess.run([str(GENERATOR), "generate", "--path", str(spec), "--output-path",
                          str(out), "--config", str(config), "--meta", "none"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    # The generator warns of every schema, operation or response it had to skip.
    report = run.stdout + run.stderr
    assert "WARNING" not in report and "Unable to" not in report, report
    generated = {path.stem for path in (out / "api").rglob("*.py")} - {"__init__"}
    op_ids = {_snake(op["operationId"]) for _m, _p, op in _operations(document)}
    assert len(op_ids) >= 30
    assert op_ids - generated == set()
    for path in out.rglob("*.py"):
        py_compile.compile(str(path), doraise=True)
    # The analytics bodies keep their "object or array" data field.
    models = (out / "models").glob("analytics_create_in*.py")
    assert any("data" in path.read_text() for path in models)
