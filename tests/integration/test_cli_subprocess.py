"""The installed command for real: ``python -m cpnetwork`` and the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CPNETWORK_DB"}
    env["COLUMNS"] = "200"
    return env


def cpnetwork(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cpnetwork", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_python_m_cpnetwork_help(tmp_path: Path) -> None:
    result = cpnetwork("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: python -m cpnetwork [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "import-json" in result.stdout


def test_a_real_command_against_a_temporary_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    missing = cpnetwork("--db", str(db), "members", "list", cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"Error: no database at {db}")
    assert "Traceback" not in missing.stderr
    assert not db.exists()
    upgraded = cpnetwork("--db", str(db), "db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert db.exists()
    listed = cpnetwork("--db", f"sqlite:///{db}", "members", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == "No members match."
    status = cpnetwork("--db", str(db), "db", "status", cwd=tmp_path)
    assert "up to date" in status.stdout


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / ("cpnetwork.exe" if os.name == "nt" else "cpnetwork")
    if not script.exists():
        pytest.skip("cpnetwork is not installed as a console script in this environment")
    result = subprocess.run(
        [str(script), "--version"], cwd=tmp_path, env=_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cpnetwork, version 0.1.0"


def test_importing_cpnetwork_does_not_import_click_or_rich() -> None:
    code = (
        "import sys, cpnetwork\n"
        "from cpnetwork import Network\n"
        "Network.open('memory://', load_entrypoints=False).close()\n"
        "print(sorted(m for m in ('click', 'rich') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
