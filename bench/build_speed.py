"""Benchmark: how long an editor waits for the site, against a stock Material build of the same
pages (bench/_site.py says what "stock" holds), in the same run, on a scratch copy of the project.

1. `make build` with nothing changed and warm caches (.cache/pdf, .cache/compress): target at
   most 3 s and at most 2x the stock build (`mkdocs build` of the stock site).
2. `make dev`: from saving a chapter (a write to docs/betrayal.md) to `mkdocs serve` serving
   the page with the change, polled over HTTP; the median of several saves. Target: 1.5 s.
3. `make build` cold (.cache/ removed), with the PDF step's share: the worksheet PDFs the check
   lays out for the two-page limit (sitebuild/check.py) plus the build's PDF step (sitebuild/plugin.py),
   both as the build logs them.

Builds run the commands `make build` and `make dev` run (scripts/build.py, mkdocs serve
--livereload), not make itself, which would check the virtualenv against requirements.txt.
Times are wall-clock; warm builds are taken in turns with stock's, RUNS of each after one
unmeasured run, and the ratio is the median of the pairs' ratios.

Run: flock /tmp/rt-bench.lock .venv/bin/python bench/build_speed.py
"""

from __future__ import annotations

import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _site import build_env, copy_project, stock_project, timed

RUNS = 7
SAVES = 7
LOCAL_URL = "http://127.0.0.1:8000/"
CHAPTER = "docs/betrayal.md"
TARGET_BUILD_SECONDS = 3.0
TARGET_BUILD_RATIO = 2.0
TARGET_DEV_SECONDS = 1.5


def make_build(project: Path) -> tuple[float, str]:
    """What `make build` runs (Makefile): the check, then the atomic build into site/. As a
    module, as the Makefile runs it: `python scripts/build.py` took the check from wherever the
    virtualenv's editable install points (the project the copy was made from), which checked
    that project's data and laid its PDFs out into that project's cache."""
    command = [sys.executable, "-m", "scripts.build", "--site-dir", "site", "--env-file", "/etc/rebuilding-trust.env",
               "--local-url", LOCAL_URL]
    return timed(command, project, build_env())


def stock_build(project: Path) -> tuple[float, str]:
    return timed([sys.executable, "-m", "mkdocs", "build", "--quiet", "-d", "site"], project, build_env())


def paired(ours: Path, stock: Path, runs: int = RUNS) -> tuple[float, float, float]:
    """Warm builds of ours and stock, taken in turns so that the machine's load drifting during
    the run (the cold build's files still being written out, another process) weighs on both
    alike: the median of each, and the median of the ratios of each pair."""
    make_build(ours)  # unmeasured: the OS's file cache and Python's bytecode
    stock_build(stock)
    pairs = [(make_build(ours)[0], stock_build(stock)[0]) for _ in range(runs)]
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs),
            statistics.median(p[0] / p[1] for p in pairs))


def pdf_seconds(log: str) -> tuple[float, float]:
    """The check's PDF layouts and the build's PDF step, in seconds, from the build's log."""
    check = re.search(r"laid out \d+ worksheet PDF\(s\) .* in ([\d.]+) s", log)
    step = re.search(r"Worksheet PDFs: .*[(, ]([\d.]+) s\)", log)  # "(48 layouts, 55.64 s)"
    if step is None:
        raise SystemExit(f"the build did not log its PDF step:\n{log}")
    return (float(check.group(1)) if check else 0.0), float(step.group(1))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local server
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(url: str, text: str, timeout: float) -> float:
    """Seconds until the page at `url` holds `text` (polled every 10 ms)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        page = fetch(url)
        if page is not None and text in page:
            return time.perf_counter() - started
        time.sleep(0.01)
    raise SystemExit(f"{url} did not show {text!r} within {timeout:.0f} s")


def save_to_visible(project: Path, saves: int = SAVES) -> list[float]:
    """`make dev`'s mkdocs serve on a free port; each save appends a new sentence to the chapter
    and is timed until the served page holds it. The chapter is restored afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/betrayal/"
    command = [sys.executable, "-m", "mkdocs", "serve", "--livereload", "--dev-addr", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=project, env=build_env(SITE_URL=f"http://127.0.0.1:{port}/"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chapter = project / CHAPTER
    original = chapter.read_bytes()
    try:
        wait_for(url, "<html", timeout=120)
        seconds = []
        for n in range(saves):
            marker = f"Benchmark sentence number {n} at {time.time_ns()}."
            started = time.perf_counter()
            chapter.write_bytes(original + f"\n{marker}\n".encode())
            wait_for(url, marker, timeout=60)
            seconds.append(time.perf_counter() - started)
            time.sleep(0.5)  # let the server settle before the next save
        return seconds
    finally:
        chapter.write_bytes(original)
        server.terminate()
        server.wait(timeout=30)


def verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rt-build-speed-") as tmp:
        ours = copy_project(Path(tmp) / "ours")
        stock = stock_project(ours, Path(tmp) / "stock")

        cold, log = make_build(ours)  # no .cache/ in a fresh copy
        check_pdfs, step_pdfs = pdf_seconds(log)
        warm, stock_seconds, ratio = paired(ours, stock)
        ours_dev = save_to_visible(ours)
        stock_dev = save_to_visible(stock)

    print(f"Build times (median of {RUNS}, ours and stock in turns, after one unmeasured run of each; "
          "a scratch copy of the project)")
    print(f"  stock Material, same pages, macros stubbed  {stock_seconds:6.2f} s")
    print(f"  make build, nothing changed, warm caches    {warm:6.2f} s   {ratio:5.2f}x stock (median of the pairs)")
    print(f"    target <= {TARGET_BUILD_SECONDS:.1f} s                              "
          f"{verdict(warm <= TARGET_BUILD_SECONDS)}")
    print(f"    target <= {TARGET_BUILD_RATIO:.1f}x stock                          "
          f"{verdict(ratio <= TARGET_BUILD_RATIO)}")
    print()
    print(f"make dev: save a chapter -> the served page shows it ({SAVES} saves, HTTP poll every 10 ms)")
    print(f"  ours    median {statistics.median(ours_dev):5.2f} s   (min {min(ours_dev):.2f}, max {max(ours_dev):.2f})"
          f"   target <= {TARGET_DEV_SECONDS:.1f} s: {verdict(statistics.median(ours_dev) <= TARGET_DEV_SECONDS)}")
    print(f"  stock   median {statistics.median(stock_dev):5.2f} s   (min {min(stock_dev):.2f}, max {max(stock_dev):.2f})"
          f"   ({statistics.median(ours_dev) / statistics.median(stock_dev):.2f}x)")
    print()
    pdfs = check_pdfs + step_pdfs
    print("make build, cold (.cache/ removed: every PDF laid out, every copy compressed)")
    print(f"  total                                       {cold:6.2f} s   {cold / stock_seconds:5.2f}x stock")
    print(f"  PDFs: the check's layouts {check_pdfs:5.2f} s + the build's PDF step {step_pdfs:5.2f} s"
          f" = {pdfs:5.2f} s ({pdfs / cold:.0%} of the build)")


if __name__ == "__main__":
    main()
