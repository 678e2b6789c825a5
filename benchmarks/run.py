"""Run every benchmark in this folder (``bench_*.py``), one process each.

Arguments are passed on to every benchmark, so ``python benchmarks/run.py --scale 0.01``
gives a quick run of all of them.  Exits non-zero when any benchmark fails.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benchmarks() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    failed: list[str] = []
    for script in benchmarks():
        print(f"== {script.name} {' '.join(arguments)}".rstrip(), flush=True)
        start = time.perf_counter()
        finished = subprocess.run([sys.executable, str(script), *arguments], check=False)
        elapsed = time.perf_counter() - start
        status = "ok" if finished.returncode == 0 else f"FAILED (exit {finished.returncode})"
        print(f"== {script.name}: {status} in {elapsed:.1f} s", flush=True)
        if finished.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
