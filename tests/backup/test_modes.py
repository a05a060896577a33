"""Archives hold password and token hashes, emails and addresses: the real
command writes them 0600, in a backup folder it creates 0700, under the
usual umask 022 (which alone would give 0644 and 0755)."""
from __future__ import annotations

import os
import stat

import pytest

from tests.backup.helpers import run_module


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask_022():
    os.umask(0o022)


def _create(database_url, storage, *args) -> None:
    proc_env = dict(os.environ)
    code, out, err = run_module("create", "--database", database_url,
                                "--storage-dir", storage, *args, env=proc_env,
                                preexec_fn=_umask_022)
    assert code == 0, err


@pytest.mark.parametrize("compress", [False, True], ids=["tar", "gzip"])
@pytest.mark.parametrize("where", ["--to", "JANUS_DATA_DIR"])
def test_a_new_backup_folder_is_0700_and_its_archives_0600(seeded, database_url, storage,
                                                           tmp_path, monkeypatch, compress,
                                                           where):
    if where == "--to":
        folder = tmp_path / "made" / "backups"
        args = ["--to", folder]
    else:  # the default, <JANUS_DATA_DIR>/backups
        monkeypatch.setenv("JANUS_DATA_DIR", str(tmp_path / "data"))
        folder, args = tmp_path / "data" / "backups", []
    _create(database_url, storage, *args, *(["--gzip"] if compress else []))
    assert _mode(folder) == 0o700
    made = sorted(folder.iterdir())
    assert len(made) == 1 and made[0].name.startswith("janus-backup-")
    assert _mode(made[0]) == 0o600


def test_an_existing_folder_keeps_its_mode_and_every_archive_is_0600(seeded, database_url,
                                                                     storage, tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o750)  # the operator's choice (a backup group, say)
    for _ in range(2):
        _create(database_url, storage, "--to", folder)
    assert _mode(folder) == 0o750
    made = sorted(folder.iterdir())
    assert len(made) == 2
    assert [_mode(path) for path in made] == [0o600, 0o600]
