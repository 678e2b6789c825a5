"""A SQLite database that cannot be written: opened, listed and exported, never written.

The file is opened read-only when the URL says ``?mode=ro`` and when the file or its
folder is not writable.  Tests run as root in CI, where ``chmod`` stops nothing, so
an unwritable folder is simulated by patching ``os.access``, and a real read-only
mount (tmpfs remounted ``ro``) is tried where the sandbox allows ``mount``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.errors import SchemaVersionError, StorageError
from cpnetwork.model import Member, Program
from cpnetwork.storage import CORE_KINDS, sql_engine
from cpnetwork.storage.sql import SQLStorage

LA = ZoneInfo("America/Los_Angeles")


def _build(path: Path) -> None:
    """A small network in ``path``: two members, a program with a session."""
    with Network.open(f"sqlite:///{path}", name="Bay Area", timezone="America/Los_Angeles") as net:
        net.members.add(email="ada@example.org", given_name="Ada", family_name="Lovelace")
        net.members.add(email="grace@example.org", given_name="Grace", family_name="Hopper")
        program = net.programs.create(title="Academy", program_year=2024)
        start = datetime(2024, 10, 16, 16, 0, tzinfo=LA)
        net.sessions.schedule(program.id, title="Kickoff", start=start, end=start.replace(hour=18))


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _check_read_only(url: str) -> None:
    with Network.open(url) as net:
        assert isinstance(net.storage, SQLStorage) and net.storage.read_only
        assert [m.given_name for m in net.members.find()] == ["Grace", "Ada"]
        ada = net.members.find_by_email("ada@example.org")
        assert ada is not None and net.members.get(ada.id) == ada
        assert [p.title for p in net.programs.find()] == ["Academy"]
        exported = net.export_data()
        assert len(exported["members"]) == 2 and len(exported["sessions"]) == 1
        assert exported["sessions"][0]["start"] == "2024-10-16T16:00:00-07:00"
        with pytest.raises(
            StorageError, match=r"insert(_many)? refused: the database is opened read-only"
        ):
            net.members.add(email="linus@example.org")
        with pytest.raises(StorageError, match=r"opened read-only"):
            net.programs.create(title="Another", program_year=2024)
        assert len(net.members.find()) == 2


@pytest.fixture
def built(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    _build(folder / "network.db")
    return folder / "network.db"


def test_mode_ro_opens_without_writing_anything(built: Path) -> None:
    before = built.read_bytes()
    _check_read_only(f"sqlite:///{built}?mode=ro")
    # SQLite may add the (empty) WAL files a reader needs; the database is untouched.
    assert built.read_bytes() == before
    wal = built.with_name(built.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_read_only_transactions_of_a_read_only_store_refuse_writes(built: Path) -> None:
    with SQLStorage(f"sqlite:///{built}?mode=ro") as store:
        assert store.read_only_reason == "mode=ro"
        with store.transaction() as tx, pytest.raises(StorageError) as raised:
            tx.insert(Program(title="Refused", program_year=2024))
        assert str(raised.value) == (
            f"storage 'sqlite:///{built}?mode=ro': insert refused: "
            "the database is opened read-only (mode=ro)"
        )


def test_an_unwritable_folder_is_detected_and_opened_immutable(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = built.parent
    real_access = sql_engine.os.access

    def access(path: object, mode: int) -> bool:
        return False if Path(str(path)) == folder else real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(sql_engine.os, "access", access)
    assert sql_engine.sqlite_read_only(f"sqlite:///{built}") == (
        f"the folder of {built} is not writable"
    )
    before = _digest(folder)
    _check_read_only(f"sqlite:///{built}")
    assert _digest(folder) == before


def test_a_read_only_database_without_a_schema_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    with pytest.raises(SchemaVersionError, match="no schema and is opened read-only"):
        SQLStorage(f"sqlite:///{empty}?mode=ro")
    assert empty.read_bytes() == b""


def test_a_missing_file_opened_read_only_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        SQLStorage(f"sqlite:///{tmp_path / 'missing.db'}?mode=ro")
    assert not (tmp_path / "missing.db").exists()


def test_a_plugin_kind_missing_from_a_read_only_database_stays_out(built: Path) -> None:
    from cpnetwork.testing.storage import REVIEW_SCORES, ReviewScore

    with SQLStorage(f"sqlite:///{built}?mode=ro") as store:
        store.register_kinds([*CORE_KINDS, REVIEW_SCORES])
        assert REVIEW_SCORES.name not in {kind.name for kind in store.iter_kinds()}
        with store.transaction() as tx, pytest.raises(StorageError, match=r"missing.*read-only"):
            tx.find(ReviewScore)
        with store.transaction() as tx:
            assert tx.count(Member) == {(): 2}


# -- a real read-only mount -------------------------------------------------------------


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs holding a built network, remounted read-only; skips where mount is refused."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    point = tmp_path / "medium"
    point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(point)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount is not permitted here: {mounted.stderr.decode().strip()}")
    try:
        _build(point / "network.db")
        subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
        yield point / "network.db"
    finally:
        subprocess.run(["umount", str(point)], check=False)


def test_a_database_on_a_read_only_mount_is_listed_and_exported(read_only_mount: Path) -> None:
    assert sql_engine.sqlite_read_only(f"sqlite:///{read_only_mount}") == (
        f"{read_only_mount} is not writable"
    )
    _check_read_only(f"sqlite:///{read_only_mount}")


def test_the_cli_lists_and_exports_a_database_on_a_read_only_mount(
    read_only_mount: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    config = CliConfig()
    db = str(read_only_mount)

    listed = runner.invoke(cli, ["--db", db, "members", "list"], obj=config)
    assert listed.exit_code == 0, listed.output
    assert "Lovelace" in listed.output and "Hopper" in listed.output

    target = tmp_path / "export.json"
    exported = runner.invoke(cli, ["--db", db, "export", str(target)], obj=config)
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(target.read_text())["members"]) == 2

    refused = runner.invoke(cli, ["--db", db, "enroll", "Academy", "ada@example.org"], obj=config)
    assert refused.exit_code == 1
    assert "opened read-only" in refused.stderr
