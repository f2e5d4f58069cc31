"""`make test` sets itself up (scripts/system-packages): what is missing is installed, or, without
root or sudo, the one `apt-get install` line to run is printed and the run stops at once."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "system-packages"
TOOLS = ("bash", "ls", "env", "java", "npm", "caddy", "systemd-analyze", "openssl", "pdftoppm")


def machine(tmp_path: Path, uid: int, sudo: bool) -> dict[str, str]:
    """A PATH with this machine's tools but no Chromium, an `id` that says `uid`, and sudo only
    when `sudo`; `apt-get` (and sudo's) record what they were asked to do in `calls`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} is needed to run this test"
        (bin_dir / tool).symlink_to(found)
    calls = tmp_path / "calls"
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "apt-get $*" >> {calls}\n')
    if sudo:
        (bin_dir / "sudo").write_text(f'#!/bin/sh\n[ "$1" = -n ] && shift\necho "sudo" >> {calls}\n"$@"\n')
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CHROMIUM"}
    env["PATH"] = str(bin_dir)
    return env


def test_without_root_or_sudo_it_stops_with_the_one_line_to_run(tmp_path: Path) -> None:
    result = subprocess.run([str(SCRIPT)], env=machine(tmp_path, 1000, sudo=False), capture_output=True, text=True)
    assert result.returncode == 1
    assert "  apt-get update && apt-get install -y chromium\n" in result.stderr
    assert not (tmp_path / "calls").exists()


def test_as_root_or_through_sudo_it_installs_what_is_missing(tmp_path: Path) -> None:
    for uid, sudo in ((0, False), (1000, True)):
        folder = tmp_path / f"uid{uid}"
        folder.mkdir()
        result = subprocess.run([str(SCRIPT)], env=machine(folder, uid, sudo), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        calls = (folder / "calls").read_text().splitlines()
        assert [c for c in calls if c.startswith("apt-get")] == ["apt-get update -qq", "apt-get install -y -qq chromium"]
        assert ("sudo" in calls) == sudo


def test_with_everything_present_it_does_nothing(tmp_path: Path) -> None:
    env = machine(tmp_path, 1000, sudo=False)
    (tmp_path / "bin" / "chromium").symlink_to(shutil.which("chromium") or "/usr/bin/chromium")
    result = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")


def test_ci_runs_the_readmes_test_command_and_nothing_else() -> None:
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert commands == ["make test"]
