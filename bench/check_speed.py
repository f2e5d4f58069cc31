"""Benchmark: how long `make check` takes on the real project.

Three figures: `make check` with the build's PDF cache (what an editor sees after a build: the
two-page limit read from cached layouts), `make check` with an empty PDF cache (every
worksheet laid out once in A4 and Letter, then cached), and the check without the print step
(`--no-print`, cache empty: data, pages, templates and characters only). The issue's goal is
under 5 s for the first. Figures, not a pass/fail timer.

Run: .venv/bin/python bench/check_speed.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    make = ["make", "--no-print-directory", "check"]
    timed(make, env)  # fills the cache for this address, as a build would
    warm = [timed(make, env) for _ in range(args.runs)]
    print(f"make check, PDF cache warm:  {statistics.median(warm):6.2f} s (median of {args.runs})")
    with tempfile.TemporaryDirectory() as empty:
        cold = timed(make, {**env, "RT_PDF_CACHE": empty})
    print(f"make check, PDF cache empty: {cold:6.2f} s (every worksheet laid out in A4 and Letter)")
    with tempfile.TemporaryDirectory() as empty:
        quick = timed([str(ROOT / ".venv/bin/python"), "-m", "sitebuild.check", "--no-print"], {**env, "RT_PDF_CACHE": empty})
    print(f"check without the print step: {quick:5.2f} s (--no-print)")


if __name__ == "__main__":
    main()
