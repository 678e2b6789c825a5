"""Files are replaced whole or not at all, and are private to their owner.

A full disk is a real file-size limit (``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored so
the write fails with EFBIG instead of killing the process) set in a child process.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest
from attrs import field, frozen

from cpnetwork import Network, hookimpl
from cpnetwork.files import FILE_MODE, create_private, remove_database, replace_file, replacing
from cpnetwork.model import Member
from cpnetwork.storage import RecordKind

#: The file-size limit of the child: far below an export of the network below.
LIMIT = 64 * 1024
OLD = '{"old": "export"}\n'


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_replacing_writes_a_private_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    old = os.umask(0)
    try:
        with replacing(target) as out:
            out.write("complete\n")
    finally:
        os.umask(old)
    assert target.read_text() == "complete\n"
    assert _mode(target) == FILE_MODE == 0o600
    assert _leftovers(tmp_path) == []


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text(OLD)
    target.chmod(0o640)
    assert replace_file(target, lambda out: out.write("new\n")) == 4
    assert target.read_text() == "new\n" and _mode(target) == 0o640


def test_an_error_while_writing_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text(OLD)

    def half(out: IO[str]) -> None:
        out.write("partial")
        raise RuntimeError("the producer failed")

    with pytest.raises(RuntimeError, match="producer failed"):
        replace_file(target, half)
    assert target.read_text() == OLD
    assert _leftovers(tmp_path) == []


def test_bytes_go_to_a_new_private_file(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    assert replace_file(target, b"a,b\r\n1,2\r\n") == target
    assert target.read_bytes() == b"a,b\r\n1,2\r\n" and _mode(target) == 0o600


def test_create_private_makes_an_empty_owner_only_file_once(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    assert create_private(path) is True
    assert path.read_bytes() == b"" and _mode(path) == 0o600
    assert create_private(path) is False
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).write_bytes(b"x")
    remove_database(path)
    assert list(tmp_path.iterdir()) == []


# -- exports ----------------------------------------------------------------------------


@frozen(kw_only=True)
class Fragile:
    """A plugin's record holding a value JSON cannot write: its export fails midway."""

    id: str
    payload: object = field(factory=lambda: {1 + 2j})


class FragilePlugin:
    @hookimpl
    def register_record_kinds(self) -> list[RecordKind]:
        return [RecordKind(name="fragile", cls=Fragile)]


def test_an_export_failing_midway_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    target.write_text(OLD)
    with Network.open("memory://", plugins=[FragilePlugin()], load_entrypoints=False) as net:
        for n in range(50):
            net.members.add(email=f"m{n}@example.org")
        with net.storage.transaction() as tx:
            tx.insert(Fragile(id="f1"))
        with pytest.raises(TypeError):
            net.export(target)
    assert target.read_text() == OLD
    assert _leftovers(tmp_path) == []


def _network(path: Path) -> None:
    with Network.open(f"sqlite:///{path}", load_entrypoints=False) as net:
        net.members.add_many(
            [Member(email=f"member{n}@example.org", given_name="A" * 200) for n in range(600)]
        )


def _limited() -> None:  # runs in the child, before the command
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def _run_limited(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CPNETWORK_BLOCK_PLUGINS": "", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_limited,
        timeout=120,
    )


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no RLIMIT_FSIZE here")
def test_an_export_onto_a_full_disk_leaves_the_previous_file(tmp_path: Path) -> None:
    _network(tmp_path / "network.db")
    target = tmp_path / "export.json"
    target.write_text(OLD)
    code = "from cpnetwork.cli import main\nmain(['--db', 'network.db', 'export', 'export.json'])\n"
    result = _run_limited(code, tmp_path)
    assert result.returncode == 1, result.stderr
    assert "cannot write export.json: File too large" in result.stderr
    assert target.read_text() == OLD
    assert _leftovers(tmp_path) == []
    # Without the limit the same export completes and replaces it.
    code = "from cpnetwork.cli import main\nmain(['--db', 'network.db', 'export', 'export.json'])\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(target.read_text())["members"]) == 600


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="no RLIMIT_FSIZE here")
def test_the_library_export_onto_a_full_disk_raises_and_keeps_the_file(tmp_path: Path) -> None:
    _network(tmp_path / "network.db")
    target = tmp_path / "export.json"
    target.write_text(OLD)
    code = (
        "from cpnetwork import Network\n"
        "with Network.open('sqlite:///network.db', read_only=True) as net:\n"
        "    try:\n"
        "        net.export('export.json')\n"
        "    except OSError as error:\n"
        "        raise SystemExit(f'OSError {error.errno}')\n"
    )
    result = _run_limited(code, tmp_path)
    assert result.stderr.strip() == f"OSError {errno.EFBIG}"
    assert target.read_text() == OLD
    assert _leftovers(tmp_path) == []


# -- bytes, and shared files (a calendar feed a web server publishes) ------------------


def test_a_shared_new_file_is_written_with_the_umasks_permissions(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    old = os.umask(0o022)
    try:
        assert replace_file(target, b"BEGIN:VCALENDAR", private=False) == target
    finally:
        os.umask(old)
    assert target.read_bytes() == b"BEGIN:VCALENDAR"
    assert _mode(target) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.ics"]


def test_an_existing_file_is_replaced_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    target.write_bytes(b"old contents, longer than the new")
    target.chmod(0o640)
    replace_file(str(target), b"new", private=False)
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.ics"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    target.mkdir()  # a directory cannot be replaced by a file
    with pytest.raises(OSError):
        replace_file(target, b"new")
    assert target.is_dir() and [p.name for p in tmp_path.iterdir()] == ["feed.ics"]


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        replace_file(tmp_path / "nowhere" / "feed.ics", b"new")
