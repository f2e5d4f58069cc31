"""Atomic builds: `make build` (and `make serve`) run this.

The whole check first (`macros.check`), then `mkdocs build --strict` into a fresh folder beside
the target, then a swap: the previous site is moved aside and the new one into its place only
when the whole build, PDFs included, succeeded. A failed build removes its own folder and
leaves the previous site exactly as it was, so a deploy step never publishes half a site.

    python scripts/build.py [--site-dir site] [--no-check]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def publish(built: Path, target: Path) -> None:
    """Move `built` into `target`'s place; the old site is removed only once the new one is in."""
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(built, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(built, target)


def build(target: Path, check: bool = True, extra: list[str] | None = None) -> int:
    """Check, build into a temporary folder, and publish it as `target`. Returns an exit status."""
    if check:
        sys.path.insert(0, str(ROOT))
        from macros.check import main as check_main

        status = check_main([])
        if status:
            print("build stopped: fix the problems above; the previous site is unchanged", file=sys.stderr)
            return status
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        built.chmod(0o777 & ~umask)  # mkdtemp makes it private; a site is served to others
        command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(built), *(extra or [])]
        result = subprocess.run(command, cwd=ROOT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
        if result.returncode:
            print(f"build failed: {target} is unchanged", file=sys.stderr)
            return result.returncode
        publish(built, target)
        return 0
    finally:
        if built.exists():
            shutil.rmtree(built, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="scripts/build.py", description="Check, build and publish the site atomically.")
    parser.add_argument("--site-dir", type=Path, default=ROOT / "site")
    parser.add_argument("--no-check", action="store_true", help="skip `make check` (it already ran)")
    args, extra = parser.parse_known_args(argv)
    return build(args.site_dir, check=not args.no_check, extra=extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
