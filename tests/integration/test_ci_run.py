"""``.ci/run`` stops, rather than letting tests skip, when what CI must test is missing.

The script is run from a copy of the checkout's ``.ci`` folder, with a listening
socket standing in for the PostgreSQL server (the script only checks it is reachable)
and a ``make`` on PATH that records it was run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "checkout"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy2(ROOT / ".ci" / "run", repo / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    make = bin_dir / "make"
    make.write_text('#!/bin/sh\necho "make $*" > make-ran\n')
    make.chmod(0o755)
    apt = bin_dir / "apt-get"  # the script installs chromium where it is missing: not here
    apt.write_text("#!/bin/sh\nexit 0\n")
    apt.chmod(0o755)
    return repo


def _run(repo: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{repo.parent / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "CPNETWORK_TEST_POSTGRES_URL": f"postgresql://postgres@127.0.0.1:{port}/test",
    }
    return subprocess.run(
        ["bash", str(repo / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )


def test_ci_fails_when_the_real_data_is_missing(tmp_path: Path, listening: int) -> None:
    repo = _checkout(tmp_path)
    result = _run(repo, listening)
    assert result.returncode == 1
    assert "the real data is missing" in result.stderr and "shared/data/real/cde" in result.stderr
    assert not (repo / "make-ran").exists()


def test_ci_fails_when_a_part_of_the_real_data_is_empty(tmp_path: Path, listening: int) -> None:
    repo = _checkout(tmp_path)
    real = tmp_path / "shared" / "data" / "real"
    for part in ("cde", "ics", "zoom"):
        (real / part).mkdir(parents=True)
    (real / "cde" / "pubschls.txt").write_text("x")
    result = _run(repo, listening)
    assert result.returncode == 1 and "shared/data/real/ics" in result.stderr


def test_ci_runs_make_test_when_everything_is_there(tmp_path: Path, listening: int) -> None:
    repo = _checkout(tmp_path)
    real = tmp_path / "shared" / "data" / "real"
    for part in ("cde", "ics", "zoom"):
        (real / part).mkdir(parents=True)
        (real / part / "sample").write_text("x")
    result = _run(repo, listening)
    assert result.returncode == 0, result.stderr
    assert (repo / "make-ran").read_text() == "make test\n"
