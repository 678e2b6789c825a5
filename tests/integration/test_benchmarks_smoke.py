"""The benchmarks still run: ``benchmarks/run.py`` at a tiny scale (a few seconds).

PostgreSQL takes part when ``CPNETWORK_TEST_POSTGRES_URL`` is set; otherwise the
benchmark is told to skip it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_the_benchmarks_run_at_a_tiny_scale() -> None:
    postgres = os.environ.get("CPNETWORK_TEST_POSTGRES_URL")
    extra = ["--postgres-url", postgres] if postgres else ["--no-postgres"]
    finished = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--scale", "0.001", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    out = finished.stdout
    assert "bench_bulk_import.py: ok" in out
    assert "sqlite   members" in out and "sqlite   attendance" in out
    assert "same rows on both sides: False" not in out
    assert out.count("same rows on both sides: True") == (2 if postgres else 1)
