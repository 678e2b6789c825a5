"""Replacing a file atomically: whole new contents or the old file, never a torn one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cpnetwork.files import replace_file


def test_a_new_file_is_written_with_the_umasks_permissions(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    old = os.umask(0o022)
    try:
        assert replace_file(target, b"BEGIN:VCALENDAR") == target
    finally:
        os.umask(old)
    assert target.read_bytes() == b"BEGIN:VCALENDAR"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.ics"]


def test_an_existing_file_is_replaced_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    target.write_bytes(b"old contents, longer than the new")
    target.chmod(0o640)
    replace_file(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
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
