"""`make audit`: Lighthouse (mobile defaults) on every page of the sitemap, served by the
bundled service as `make serve` serves it, beside stock Material for MkDocs serving one empty
page (system fonts, no compression) measured in the same run.

Lighthouse's scores vary from run to run on a busy machine (mostly total blocking time), so
each page is measured AUDIT_RUNS times (default 3) and the run with the median performance
score is reported, as Lighthouse's own guidance on variability recommends; the lowest score
seen is reported beside it.

Besides the scores, the bytes each page transferred (Lighthouse's network requests, the run
shown), split by kind: HTML, CSS, JS, other (images, the sitemap, the web app manifest…), and
apart, what the offline service worker fetched for its copy of the course (requests of the
worker's own target: not part of the page's load); and whether search was fetched (it must not
be: the page fetches it when the reader reaches for search, which Lighthouse never does).
Target: at most 80 KiB for the page on every page.

Writes bench/audit-report.md and bench/audit-report.json; prints the table.
Needs Node.js and `npm install` in bench/audit (the Makefile does it) and the system Chromium.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
LIGHTHOUSE = ROOT / "bench" / "audit" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
BUDGET_KIB = 80  # transferred before the first interaction, every page (issue 18)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def lighthouse(url: str) -> dict:
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run(
            [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking"
             " --disable-component-update --no-first-run"],
            env={**os.environ, "CHROME_PATH": chromium}, check=True, timeout=180,
        )
        report = json.loads(out.read_text(encoding="utf-8"))
    audits = report["audits"]
    return {
        "url": url,
        **{c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES},
        "fcp_s": round(audits["first-contentful-paint"]["numericValue"] / 1000, 2),
        "lcp_s": round(audits["largest-contentful-paint"]["numericValue"] / 1000, 2),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "kib": round(audits["total-byte-weight"]["numericValue"] / 1024),
        **bytes_by_kind(audits["network-requests"]["details"]["items"]),
    }


KINDS = {"Document": "html", "Stylesheet": "css", "Script": "js"}
SEARCH = ("search/search_index.json", "/workers/search.")


def bytes_by_kind(requests: list[dict]) -> dict:
    """KiB transferred by the page, by kind (html, css, js, other) and in all (page_kib); the
    service worker's own requests apart (worker_kib); whether search was fetched."""
    kib = {"html": 0.0, "css": 0.0, "js": 0.0, "other": 0.0, "worker": 0.0}
    for request in requests:
        size = (request.get("transferSize") or 0) / 1024
        if request.get("sessionTargetType") not in (None, "page", "iframe"):  # a worker's own request
            kib["worker"] += size
        else:
            kib[KINDS.get(request.get("resourceType"), "other")] += size
    page = sum(kib[k] for k in ("html", "css", "js", "other"))
    return {**{f"{k}_kib": round(v, 1) for k, v in kib.items()}, "page_kib": round(page, 1),
            "search_fetched": any(any(part in r.get("url", "") for part in SEARCH) for r in requests)}


def median_run(url: str, runs: int) -> dict:
    """Lighthouse `runs` times; the run with the median performance score, and the lowest score."""
    results = sorted((lighthouse(url) for _ in range(runs)), key=lambda r: (r["performance"], -r["tbt_ms"]))
    return results[len(results) // 2] | {"lowest": results[0]["performance"], "runs": runs}


def stock_material(folder: Path) -> Path:
    """A stock Material site with one empty page, system fonts."""
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "index.md").write_text("# Empty\n", encoding="utf-8")
    (folder / "mkdocs.yml").write_text(
        "site_name: Stock\nsite_url: http://127.0.0.1/\ntheme:\n  name: material\n  font: false\n", encoding="utf-8"
    )
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=folder, check=True,
                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return folder / "site"


def main() -> None:
    runs = int(os.environ.get("AUDIT_RUNS", "3"))
    port, stock_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "PORT": str(port), "SITE_URL": base, "NO_MKDOCS_2_WARNING": "1", "RT_PDF": "0",
           "WAITLIST_RATE_LIMIT": "0"}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=ROOT, env=env, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        env["DATABASE_URL"] = f"sqlite:///{tmp}/audit.sqlite3"
        service = subprocess.Popen([sys.executable, "-m", "waitlist", "serve"], cwd=ROOT, env=env)
        stock = subprocess.Popen([sys.executable, "-m", "http.server", str(stock_port), "--bind", "127.0.0.1",
                                  "--directory", str(stock_material(Path(tmp) / "stock"))],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_up(base)
            wait_until_up(f"http://127.0.0.1:{stock_port}/")
            sitemap = (ROOT / "site" / "sitemap.xml").read_text(encoding="utf-8")
            urls = [base + re.sub(r"^https?://[^/]+/", "", u) for u in re.findall(r"<loc>(.*?)</loc>", sitemap)]
            rows = [median_run(f"http://127.0.0.1:{stock_port}/", runs) | {"url": "stock Material, one empty page"}]
            for url in urls:
                rows.append(median_run(url, runs))
                print(rows[-1], flush=True)
        finally:
            service.terminate()
            stock.terminate()
            service.wait(timeout=30)
    lines = [f"Lighthouse 12.2.3, mobile defaults; each page run {runs} times, the median run shown "
             "(lowest performance score in brackets).", "",
             "| page | performance | accessibility | best practices | SEO | FCP (s) | LCP (s) | TBT (ms) | CLS "
             "| page KiB | HTML | CSS | JS | other | search fetched | offline copy KiB |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for row in rows:
        name = row["url"].removeprefix(base) or "(landing)"
        over = " ⚠" if row["page_kib"] > BUDGET_KIB and row is not rows[0] else ""
        lines.append(f"| {name} | {row['performance']} ({row['lowest']}) | {row['accessibility']} | "
                     f"{row['best-practices']} | {row['seo']} | {row['fcp_s']} | {row['lcp_s']} | {row['tbt_ms']} | "
                     f"{row['cls']} | {row['page_kib']}{over} | {row['html_kib']} | {row['css_kib']} | {row['js_kib']} | "
                     f"{row['other_kib']} | {'yes' if row['search_fetched'] else 'no'} | {row['worker_kib']} |")
    ours = rows[1:]
    lines += ["", f"Pages over the {BUDGET_KIB} KiB budget (⚠): {sum(r['page_kib'] > BUDGET_KIB for r in ours)} of {len(ours)}; "
              f"largest {max(r['page_kib'] for r in ours)} KiB, median {sorted(r['page_kib'] for r in ours)[len(ours) // 2]} KiB; "
              f"search fetched on {sum(r['search_fetched'] for r in ours)} pages."]
    report = "\n".join(lines) + "\n"
    (ROOT / "bench" / "audit-report.md").write_text(report, encoding="utf-8")
    (ROOT / "bench" / "audit-report.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
