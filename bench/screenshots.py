"""`make screenshots`: a contact sheet for design review (issue 29), not a pixel test.

Serves the built `site/` with the bundled service on a free port, and photographs the landing
page, a chapter, a worksheet, the journal, the Safety page and the Start here page at 390 and
1280 px wide, in the light and the dark scheme, with the system Chromium; and the first page of a
worksheet PDF (pdftoppm). Writes bench/screenshots/*.png and bench/screenshots/index.html, which
shows them side by side.
"""

from __future__ import annotations

import html
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "screenshots"
PAGES = [("landing", ""), ("chapter", "betrayal/"), ("worksheet", "worksheets/consistency-tracker/"),
         ("journal", "journal/"), ("safety", "safety/"), ("start-here", "start-here/")]
WIDTHS = [390, 1280]
SCHEMES = ["light", "dark"]
PDF = "worksheets/consistency-tracker/consistency-tracker-a4.pdf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(site: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SMTP_", "DATABASE_URL"))}
    env.update(PORT=str(port), SITE_DIR=str(site), DATABASE_URL=f"sqlite:///{OUT / 'screenshots.sqlite3'}")
    service = subprocess.Popen([sys.executable, "-m", "waitlist", "serve"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return service
        except OSError:
            if time.monotonic() > deadline:
                service.kill()
                raise SystemExit("the service did not start") from None
            time.sleep(0.2)


def main() -> None:
    from playwright.sync_api import sync_playwright

    site = ROOT / "site"
    if not (site / "index.html").exists():
        raise SystemExit("no site/ yet: run `make build` first (make screenshots does)")
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    service = serve(site, port)
    shots: list[tuple[str, str]] = []
    try:
        chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium)
            for scheme in SCHEMES:
                for width in WIDTHS:
                    context = browser.new_context(viewport={"width": width, "height": 900 if width > 500 else 844},
                                                  color_scheme=scheme, service_workers="block")
                    page = context.new_page()
                    for name, path in PAGES:
                        page.goto(base + path)
                        page.wait_for_load_state("load")
                        file = f"{name}-{width}-{scheme}.png"
                        page.screenshot(path=str(OUT / file), full_page=False)
                        shots.append((f"{name}, {width} px, {scheme}", file))
                    context.close()
            browser.close()
    finally:
        service.terminate()
        service.wait()
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(site / PDF),
                    str(OUT / "worksheet-pdf")], check=True)
    shots.append(("worksheet PDF, A4, first page", "worksheet-pdf.png"))
    figures = "\n".join(f'<figure><img src="{html.escape(file)}" alt="{html.escape(label)}" loading="lazy">'
                        f"<figcaption>{html.escape(label)}</figcaption></figure>" for label, file in shots)
    (OUT / "index.html").write_text(
        "<!doctype html><html lang=en><meta charset=utf-8><title>Screenshots</title>"
        "<style>body{font:14px system-ui;margin:1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}"
        "figure{margin:0}img{max-width:640px;border:1px solid #ccc}</style>\n" + figures + "\n</html>\n",
        encoding="utf-8")
    print(f"{len(shots)} screenshots: {OUT / 'index.html'}")


if __name__ == "__main__":
    main()
