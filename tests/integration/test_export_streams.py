"""``Network.export``: the JSON export written record by record, as ``export_data`` gives it."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.errors import ValidationError
from cpnetwork.export_json import read_export
from cpnetwork.model import Member, NetworkProfile
from cpnetwork.storage.base import Transaction
from cpnetwork.storage.kinds import CORE_KINDS
from cpnetwork.storage.memory import MemoryTransaction
from cpnetwork.storage.sql import SQLTransaction
from cpnetwork.testing.synthetic import synthetic_network


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each backend (PostgreSQL in a schema of its own)."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'net.db'}"
    request.applymarker(pytest.mark.postgres)
    pg_url: str = request.getfixturevalue("pg_url")
    return pg_url


def _filled(url: str) -> Network:
    """A network of a few thousand records of every common kind, some text not ASCII."""
    net = Network.open(url, name="Réseau des Sciences", load_entrypoints=False)
    data = synthetic_network(members_count=300, programs_count=3, sessions_each=4)
    with net.storage.transaction() as tx:
        for records in (
            data.organizations,
            data.members,
            data.programs,
            data.sessions,
            data.enrollments,
            data.attendance,
        ):
            tx.insert_many(records)
    return net


def _text(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_export_writes_the_text_of_export_data(url: str) -> None:
    with _filled(url) as net:
        out = io.StringIO()
        counts = net.export(out)
        data = net.export_data()
    assert out.getvalue() == _text(data)
    assert counts == {kind: len(rows) for kind, rows in data.items()}
    assert sum(counts.values()) > 2_000


def test_export_of_an_empty_kind_and_an_empty_network(url: str) -> None:
    with Network.open(url, load_entrypoints=False) as net:
        out = io.StringIO()
        net.export(out)
        assert out.getvalue() == _text(net.export_data())
        assert '"members": []' in out.getvalue()


def test_export_reads_through_scan_a_chunk_at_a_time(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans: list[tuple[str, int]] = []
    finds: list[str] = []
    transaction: type[Transaction] = MemoryTransaction if url == "memory://" else SQLTransaction
    scan, find = transaction.scan, transaction.find

    def spy_scan(self: Any, cls: type, *args: Any, **kwargs: Any) -> Iterator[Any]:
        scans.append((cls.__name__, kwargs["chunk_size"]))
        return scan(self, cls, *args, **kwargs)  # type: ignore[no-any-return]

    def spy_find(self: Any, cls: type, *args: Any, **kwargs: Any) -> list[Any]:
        finds.append(cls.__name__)
        return find(self, cls, *args, **kwargs)  # type: ignore[no-any-return]

    with _filled(url) as net:
        monkeypatch.setattr(transaction, "scan", spy_scan)
        if url != "memory://":  # the memory store's scan is its find
            monkeypatch.setattr(transaction, "find", spy_find)
        progress: list[tuple[str, int, int]] = []
        counts = net.export(io.StringIO(), chunk_size=50, progress=lambda *a: progress.append(a))
    kinds = list(counts)
    assert [name for name, _ in scans] == _classes(kinds)
    assert all(size == 50 for _, size in scans) and finds == []
    assert progress == [(kind, n, len(kinds)) for n, kind in enumerate(kinds, start=1)]


def _classes(kinds: list[str]) -> list[str]:
    """The record classes of core kinds named by table."""
    names = {kind.name: kind.cls.__name__ for kind in CORE_KINDS}
    return [names[kind] for kind in kinds]


def test_export_round_trips_through_import_data(url: str, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    with _filled(url) as net:
        net.export(path, chunk_size=100)
        before = net.export_data()
    with Network.open(f"sqlite:///{tmp_path / 'copy.db'}", load_entrypoints=False) as copy:
        written = copy.import_data(json.loads(path.read_text(encoding="utf-8")))
        assert written == sum(len(rows) for rows in before.values())
        assert copy.export_data() == before
        assert copy.profile.name == "Réseau des Sciences"


def test_a_file_is_replaced_only_once_the_export_is_complete(url: str, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    path.write_text("the previous backup")

    def fail(kind: str, done: int, total: int) -> None:
        if done == 3:
            raise RuntimeError("interrupted")

    with _filled(url) as net:
        with pytest.raises(RuntimeError):
            net.export(path, progress=fail)
        assert path.read_text() == "the previous backup"
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        net.export(str(path))
        assert json.loads(path.read_text(encoding="utf-8")) == net.export_data()


def test_import_data_takes_sections_as_they_are_read(url: str, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    with _filled(url) as net:
        net.export(path)
        before = net.export_data()
    with (
        Network.open(f"sqlite:///{tmp_path / 'copy.db'}", load_entrypoints=False) as copy,
        path.open(encoding="utf-8") as stream,
    ):
        progress: list[tuple[str, int, int]] = []
        written = copy.import_data(read_export(stream), progress=lambda *a: progress.append(a))
        assert written == sum(len(rows) for rows in before.values())
        assert copy.export_data() == before
        assert [kind for kind, _, _ in progress] == list(before)


def _cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj=CliConfig(load_entrypoints=False))


def test_import_json_of_a_bad_record_far_in_writes_nothing(tmp_path: Path) -> None:
    with _filled(f"sqlite:///{tmp_path / 'net.db'}") as net:
        data = net.export_data()
    data["attendance"][-1]["status"] = "asleep"
    (tmp_path / "bad.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    result = _cli("--db", str(tmp_path / "copy.db"), "import-json", str(tmp_path / "bad.json"))
    assert result.exit_code == 1 and "Attendance" in result.stderr
    with Network.open(f"sqlite:///{tmp_path / 'copy.db'}", load_entrypoints=False) as copy:
        counts = {kind: len(rows) for kind, rows in copy.export_data().items()}
    assert counts == {kind: 1 if kind == "network" else 0 for kind in counts}


def test_import_json_of_a_file_that_is_no_export_creates_no_database(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("[1, 2, 3]")
    result = _cli("--db", str(tmp_path / "copy.db"), "import-json", str(tmp_path / "bad.json"))
    assert result.exit_code == 1 and "not a cpnetwork export" in result.stderr
    assert not (tmp_path / "copy.db").exists()


def test_cli_export_and_import_json_round_trip(tmp_path: Path) -> None:
    with _filled(f"sqlite:///{tmp_path / 'net.db'}") as net:
        before = net.export_data()
    exported = _cli("--db", str(tmp_path / "net.db"), "export", str(tmp_path / "out.json"))
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == json.dumps(
        before, indent=2, ensure_ascii=False
    ) + "\n"
    loaded = _cli("--db", str(tmp_path / "copy.db"), "import-json", str(tmp_path / "out.json"))
    assert loaded.exit_code == 0, loaded.output
    with Network.open(f"sqlite:///{tmp_path / 'copy.db'}", load_entrypoints=False) as copy:
        assert copy.export_data() == before


def test_a_failed_streamed_import_keeps_the_profile(tmp_path: Path) -> None:
    with _filled(f"sqlite:///{tmp_path / 'net.db'}") as net:
        data = net.export_data()
    data["attendance"][-1]["status"] = "asleep"
    text = json.dumps(data)
    with Network.open(f"sqlite:///{tmp_path / 'copy.db'}", load_entrypoints=False) as copy:
        with pytest.raises(ValidationError):
            copy.import_data(read_export(io.StringIO(text)))
        assert copy.profile.name == "Network"
        with copy.storage.transaction() as tx:
            assert tx.count(NetworkProfile) == {(): 1} and tx.count(Member) == {(): 0}
