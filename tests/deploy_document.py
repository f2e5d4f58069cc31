"""DEPLOY.md's fenced code blocks, for the tests that run them as they are written, and the
scratch machine those tests run them on.

**The blocks.** `blocks()` reads every fenced block of DEPLOY.md with the heading it sits under
(its *section*: the nearest heading above it, without the `#`s), its number within that section,
its language (the fence's info word) and its text. A test takes a block with
`block(section, marker)`: the one block of that section whose text holds `marker`, a string only
it holds there. Adding a block before it, or editing its other lines, still finds it; renaming
the heading, or removing the marker from the block, fails with the section's blocks named.

**The registry.** A test module that runs blocks says which, in a module-level dict literal:

    DEPLOY_MD_BLOCKS = {
        ("Backups", "restore --replace"): ("test_the_documented_restore_steps_work_as_written",),
    }

(section, marker) → the module's tests that run it. tests/test_deploy_document.py reads these
dicts from the source (with `ast`: test modules never import one another) and fails, naming the
block (DEPLOY.md's line, section, language and first line), when a block is claimed by no module
and not declared there as sample output or as needing a program this machine lacks; when a claim
matches no block or several; and when a claim names a test its module does not define.
`coverage_problems` is that check, as a function.

**The machine.** `Machine` is a scratch folder standing in for the server the blocks are written
for. `Machine.fill` puts a block's placeholders in (each must still be in the block) and maps every
system path it names (`/etc/…`, `/srv/…`, `/var/…`, `/usr/local/…`, `/opt/…`, `/run/…`) into
the scratch folder, so a block can never write outside it. Programs that would change the real
machine (`systemctl`, `apt-get`, `useradd`, `certbot`, `sudo`, `install -o/-g`, `systemd-run`)
get stand-ins on `PATH` that record each call; what each stand-in really does is in its
docstring. `nginx`, `systemd-analyze`, `caddy`, `openssl`, `git`, `make`, PostgreSQL's tools and
`python -m waitlist` are the real programs.

Standard library only: the stand-ins written in Python import `map_system_paths` and
`environment_file` from here.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.shared import project_caches

REPO = Path(__file__).resolve().parent.parent
DEPLOY_MD = REPO / "DEPLOY.md"
# Languages of blocks that show output or a sample (never something an owner types or pastes):
# only these may be declared illustrative.
OUTPUT_LANGUAGES = frozenset({"text", "output", "http"})
CLAIMS_NAME = "DEPLOY_MD_BLOCKS"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")


@dataclass(frozen=True)
class Block:
    section: str  # the nearest heading above the block, without its #s
    number: int  # 1 for the section's first block
    language: str  # the fence's info word ("" when the fence has none)
    text: str  # the lines between the fences, with the fence's indentation removed
    line: int  # DEPLOY.md's line of the opening fence

    @property
    def first_line(self) -> str:
        return next((line.strip() for line in self.text.splitlines() if line.strip()), "(empty)")

    def where(self) -> str:
        """How a failure names the block: its line, section, number, language and first line."""
        return (f'DEPLOY.md:{self.line}: section "{self.section}", block {self.number} '
                f'({self.language or "no language"}): {self.first_line}')


def blocks(text: str | None = None) -> list[Block]:
    """Every fenced block of DEPLOY.md (or of `text`), in order."""
    lines = (DEPLOY_MD.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Block] = []
    section, counts = "(before the first heading)", dict[str, int]()
    at = 0
    while at < len(lines):
        opening = _FENCE.match(lines[at])
        if opening is None:
            heading = _HEADING.match(lines[at])
            if heading:
                section = heading.group(2).strip()
            at += 1
            continue
        fence, indent = opening.group("fence"), len(opening.group("indent").expandtabs())
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = next((i for i in range(at + 1, len(lines)) if closing.match(lines[i])), None)
        if end is None:
            raise ValueError(f"DEPLOY.md:{at + 1}: a fence that is never closed")
        body = [line[indent:] if line[:indent].strip() == "" else line.lstrip() for line in lines[at + 1:end]]
        counts[section] = counts.get(section, 0) + 1
        info = opening.group("info").strip()
        found.append(Block(section, counts[section], info.split()[0] if info else "",
                           "\n".join(body) + "\n", at + 1))
        at = end + 1
    return found


def matching(section: str, marker: str, among: Iterable[Block] | None = None) -> list[Block]:
    return [b for b in (blocks() if among is None else among) if b.section == section and marker in b.text]


def block(section: str, marker: str) -> Block:
    """The one block of DEPLOY.md's `section` that holds `marker`."""
    every = blocks()
    found = matching(section, marker, every)
    if len(found) != 1:
        raise AssertionError(_claim_problem(section, marker, found, every))
    return found[0]


def _claim_problem(section: str, marker: str, found: list[Block], every: list[Block]) -> str:
    if found:
        return (f'("{section}", "{marker}") matches {len(found)} blocks; give a string only one of them holds:\n  '
                + "\n  ".join(b.where() for b in found))
    here = [b for b in every if b.section == section]
    if not here:
        return f'("{section}", "{marker}") matches no block: no section of DEPLOY.md with blocks is headed "{section}"'
    return (f'("{section}", "{marker}") matches no block: none of the section\'s blocks holds "{marker}":\n  '
            + "\n  ".join(b.where() for b in here))


# --- the registry --------------------------------------------------------------------------------

Key = tuple[str, str]


@dataclass(frozen=True)
class Claims:
    """What one test module declares: (section, marker) → its tests that run the block."""

    module: str  # its path, relative to the repository
    blocks: dict[Key, tuple[str, ...]]
    functions: frozenset[str]  # the test functions it defines at module level


def read_claims(path: Path) -> Claims | None:
    """The module's DEPLOY_MD_BLOCKS, read from its source (None when it has none)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    functions = frozenset(node.name for node in tree.body
                          if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, assigned = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, assigned = [node.target], node.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == CLAIMS_NAME for t in targets):
            value = ast.literal_eval(assigned)
            module = str(path.relative_to(REPO))
            assert isinstance(value, dict), f"{module}: {CLAIMS_NAME} must be a dict literal"
            for key, tests in value.items():
                assert (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)
                        and isinstance(tests, tuple | list) and tests and all(isinstance(t, str) for t in tests)), (
                    f"{module}: {CLAIMS_NAME}: each entry is (section, marker): (test name, …); found {key!r}: {tests!r}")
            return Claims(module, {key: tuple(tests) for key, tests in value.items()}, functions)
    return None


def every_claim(tests: Path = REPO / "tests") -> list[Claims]:
    """The DEPLOY_MD_BLOCKS of every module under tests/ (third-party code installed there aside)."""
    found = []
    for path in sorted(tests.rglob("*.py")):
        if "node_modules" in path.parts or CLAIMS_NAME not in path.read_text(encoding="utf-8"):
            continue
        claims = read_claims(path)
        if claims is not None:
            found.append(claims)
    return found


def coverage_problems(every: list[Block], claims: list[Claims], illustrative: Mapping[Key, str],
                      not_run_here: Mapping[Key, str], installed: Mapping[str, bool]) -> list[str]:
    """Everything wrong with the registry, one line (or paragraph) each, blocks by their line.

    `illustrative`: (section, marker) → why the block is sample output, not something to type;
    only for OUTPUT_LANGUAGES. `not_run_here`: (section, marker) → the program the block needs
    that this machine lacks (the block must use it, and `installed[program]`, whether it works
    here, must be False)."""
    problems: list[str] = []
    covered: dict[Block, list[str]] = {b: [] for b in every}

    def resolve(owner: str, key: Key) -> Block | None:
        found = matching(*key, every)
        if len(found) != 1:
            problems.append(f"{owner}: {_claim_problem(*key, found, every)}")
            return None
        return found[0]

    for module in claims:
        for key, tests in module.blocks.items():
            missing = [t for t in tests if t not in module.functions]
            if missing:
                problems.append(f"{module.module}: claims {key} for {', '.join(missing)}, which it does not define")
            found = resolve(module.module, key)
            if found is not None:
                covered[found].append(module.module)
    for key, reason in illustrative.items():
        found = resolve("ILLUSTRATIVE", key)
        if found is None:
            continue
        if found.language not in OUTPUT_LANGUAGES:
            problems.append(f"ILLUSTRATIVE: {found.where()}: a {found.language or 'no-language'} block is something an "
                            f"owner types or pastes: a test must run it (only {', '.join(sorted(OUTPUT_LANGUAGES))} "
                            "blocks may be sample output)")
        elif not reason.strip():
            problems.append(f"ILLUSTRATIVE: {found.where()}: give the reason it is only an illustration")
        else:
            covered[found].append("illustrative")
    for key, program in not_run_here.items():
        found = resolve("NOT_RUN_HERE", key)
        if found is None:
            continue
        if not re.search(rf"(?<![\w-]){re.escape(program)}(?![\w-])", found.text):
            problems.append(f"NOT_RUN_HERE: {found.where()}: the block does not use {program}")
        elif installed.get(program, False):
            problems.append(f"NOT_RUN_HERE: {found.where()}: {program} works here now: write the test that "
                            "runs this block")
        else:
            covered[found].append(f"needs {program}")
    for b in every:
        if not b.language:
            problems.append(f"{b.where()}: the fence names no language; label it (sh, yaml, ini, crontab, text…)")
        if not covered[b]:
            problems.append(f"{b.where()}: no test runs this block. Claim it in the {CLAIMS_NAME} of the test module "
                            f'that runs it ((section, a string only this block of the section holds): test names), '
                            "or, if it is sample output, label it text and declare it in ILLUSTRATIVE of "
                            "tests/test_deploy_document.py with the reason")
    return problems


# --- the scratch machine -------------------------------------------------------------------------

SYSTEM_DIRS = ("etc", "srv", "var", "usr/local", "opt", "run")
# Where a path starts: not after a word (`…/trust/var`), nor as a URL's host (`https://etc.example`)
# or a relative SQLite path (`sqlite:///var/x`); `sqlite:////srv/x` is absolute, and mapped.
_SYSTEM_PATH = re.compile(r"(?<![\w.~:-])(?<!:/)(?<!://)/(" + "|".join(re.escape(d) for d in SYSTEM_DIRS) + r")(?=/|\b)")


def map_system_paths(text: str, root: str | Path) -> str:
    """`text` with every absolute path under a system folder (/etc, /srv, /var, /usr/local,
    /opt, /run) moved under `root`. A path is only mapped where it starts (not `…/trust/var`)."""
    return _SYSTEM_PATH.sub(lambda m: f"{root}/{m.group(1)}", text)


def environment_file(text: str) -> dict[str, str]:
    """An environment file as systemd's EnvironmentFile= reads it: `KEY=value` lines (the value
    is the rest of the line, spaces included), `#` and `;` comments, blank lines, and quotes
    around a whole value removed. The same reading as scripts/build.py's `env_file_value`."""
    found = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, equals, value = line.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()):
            raise ValueError(f"line {number} is not KEY=value: {raw}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found[key.strip()] = value
    return found


def commands(text: str) -> list[str]:
    """A shell block's commands, one per entry: comment lines and blank lines left out, lines
    ending in `\\` joined with the next (the text of each is kept as written)."""
    found, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        if not line.endswith("\\"):
            found.append(current.rstrip("\n"))
            current = ""
    assert not current, f"a command ends with a backslash and nothing after it: {current}"
    return found


def clean_environment(**more: str) -> dict[str, str]:
    """This process's environment without the service's settings or make's, PYTHONPATH at the
    repository (as the service's tests run it), and `more`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SMTP_", "SITE_", "RT_WAITLIST"))
           and k not in {"DATABASE_URL", "PORT", "ENV_FILE", "PRODUCTION", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
                         "MAKEOVERRIDES", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD"}}
    env["PYTHONPATH"] = str(REPO)
    env.update(more)
    return env


class Machine:
    """The server DEPLOY.md's commands are written for, as a scratch folder: `path("/etc/x")`
    is `root/etc/x`. Stand-ins on `self.bin` record every call in `self.calls_file`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "stand-ins"
        self.bin.mkdir(parents=True, exist_ok=True)
        self.calls_file = root / "calls.log"

    def path(self, system_path: str) -> Path:
        assert system_path.startswith("/"), system_path
        return self.root / system_path.lstrip("/")

    def fill(self, text: str, placeholders: Mapping[str, str] | None = None) -> str:
        """`text` with each placeholder replaced (each must be in it: a block that lost one is
        a block the test no longer matches) and every system path mapped into the root."""
        for placeholder, value in (placeholders or {}).items():
            assert placeholder in text, f"the block no longer holds {placeholder!r}:\n{text}"
            text = text.replace(placeholder, value)
        return map_system_paths(text, self.root)

    def calls(self) -> list[str]:
        return self.calls_file.read_text(encoding="utf-8").splitlines() if self.calls_file.exists() else []

    def environment(self, **more: str) -> dict[str, str]:
        env = clean_environment(**more)
        env["PATH"] = f"{self.bin}:{env.get('PATH', '/usr/bin:/bin')}"
        return env

    def run(self, script: str, cwd: Path, env: Mapping[str, str] | None = None, stdin: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`script` run by /bin/sh in `cwd`, in a session of its own (no terminal: a prompt
        reads standard input), with the stand-ins first on PATH, under umask 022."""
        return subprocess.run(["/bin/sh", "-c", f"umask 022\n{script}"], cwd=cwd, env=dict(env or self.environment()),
                              input=stdin, capture_output=True, text=True, timeout=timeout, start_new_session=True)

    # -- stand-ins ----------------------------------------------------------------------------

    def _write(self, name: str, text: str) -> Path:
        script = self.bin / name
        script.write_text(text, encoding="utf-8")
        script.chmod(0o755)
        return script

    def _record_line(self, name: str) -> str:
        return f'printf "%s\\n" "{name} $*" >> "{self.calls_file}"\n'

    def recorder(self, name: str, then: str = "") -> Path:
        """`name` records its arguments and then runs the shell code `then` (nothing: status 0)."""
        return self._write(name, f"#!/bin/sh\n{self._record_line(name)}{then}")

    def _python(self, name: str, body: str) -> Path:
        header = (f"#!{sys.executable}\nimport os, subprocess, sys\nsys.path.insert(0, {str(REPO)!r})\n"
                  f"from tests.deploy_document import environment_file, map_system_paths\n"
                  f"ROOT = {str(self.root)!r}\n"
                  f"with open({str(self.calls_file)!r}, 'a', encoding='utf-8') as log:\n"
                  f"    log.write(' '.join([{name!r}, *sys.argv[1:]]) + '\\n')\n")
        return self._write(name, header + body)

    def install(self) -> Path:
        """`install` as root would run it, without `-o`/`-g`: the owner and group are recorded,
        not applied (the service's user does not exist here); the modes and copies are real."""
        return self._python("install", """
args, skip = [], False
for arg in sys.argv[1:]:
    if skip:
        skip = False
    elif arg in ("-o", "-g", "--owner", "--group"):
        skip = True
    elif not arg.startswith(("--owner=", "--group=")):
        args.append(arg)
os.execv("/usr/bin/install", ["install", *args])
""")

    def sudo(self) -> Path:
        """`sudo -u USER command…`: the command run as USER through runuser when this process
        is root, else as this user; the environment is kept (PGHOST, PGPORT…)."""
        return self._python("sudo", """
import shutil
args = sys.argv[1:]
user = None
if args[:1] == ["-u"]:
    user, args = args[1], args[2:]
program = shutil.which(args[0]) or args[0]
if user and os.geteuid() == 0:
    os.execvp("runuser", ["runuser", "-u", user, "--", program, *args[1:]])
os.execv(program, [program, *args[1:]])
""")

    def systemd_run(self) -> Path:
        """`systemd-run --quiet --pipe --wait --collect -p K=V… command…`: the command run with
        the properties a transient service would give it: EnvironmentFile= read as systemd reads
        it (on top of systemd's default PATH, nothing of the caller's environment),
        WorkingDirectory=, UMask=; its exit status passed on as `--wait` does. User= and Group=
        are recorded only (the service's user does not exist here). Other properties fail."""
        return self._python("systemd-run", """
args = sys.argv[1:]
properties = {}
while args and args[0].startswith("-"):
    flag = args.pop(0)
    if flag in ("-p", "--property"):
        key, _, value = args.pop(0).partition("=")
        properties[key] = value
    elif flag not in ("--quiet", "--pipe", "--wait", "--collect"):
        sys.exit(f"systemd-run stand-in: {flag} is not handled")
unknown = set(properties) - {"User", "Group", "UMask", "EnvironmentFile", "WorkingDirectory"}
if unknown:
    sys.exit(f"systemd-run stand-in: properties {sorted(unknown)} are not handled")
env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
if "EnvironmentFile" in properties:
    with open(properties["EnvironmentFile"], encoding="utf-8") as file:
        env.update(environment_file(file.read()))
os.umask(int(properties.get("UMask", "0022"), 8))
os.chdir(properties.get("WorkingDirectory", "/"))
sys.exit(subprocess.run(args, env=env).returncode)
""")

    def nginx(self) -> Path:
        """`nginx …`: the real nginx, given a main configuration like Debian's (the MIME types,
        then every site in the scratch /etc/nginx/sites-enabled/) with each site's system
        paths (/etc/letsencrypt, /var/log/nginx, /var/www) mapped into the scratch root."""
        real = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin") or "nginx"
        return self._python("nginx", """
import glob, pathlib
root = pathlib.Path(ROOT)
mapped = root / "nginx-mapped"
mapped.mkdir(exist_ok=True)
for old in mapped.iterdir():
    old.unlink()
for site in sorted(glob.glob(str(root / "etc/nginx/sites-enabled/*"))):
    text = pathlib.Path(site).read_text(encoding="utf-8")
    (mapped / pathlib.Path(site).name).write_text(map_system_paths(text, root), encoding="utf-8")
(root / "var/log/nginx").mkdir(parents=True, exist_ok=True)
(root / "run/nginx").mkdir(parents=True, exist_ok=True)
main = root / "nginx-main.conf"
temp = "\\n".join(f"    {kind}_temp_path {root}/run/nginx/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
main.write_text(f"pid {root}/run/nginx.pid;\\nerror_log {root}/var/log/nginx/error.log;\\n"
                "events { worker_connections 64; }\\n"
                f"http {{\\n    include /etc/nginx/mime.types;\\n{temp}\\n    include {mapped}/*;\\n}}\\n",
                encoding="utf-8")
os.execv(REAL, [REAL, "-p", f"{root}/", "-e", f"{root}/var/log/nginx/error.log", "-c", str(main), *sys.argv[1:]])
""".replace("REAL", repr(real)))

    def systemd_analyze(self) -> Path:
        """`systemd-analyze verify UNIT…`: the real systemd-analyze, on a copy of each unit file
        with its system paths (ExecStart's /srv/…/python, EnvironmentFile=…) mapped into the
        scratch root, where the test has put the project and its venv."""
        real = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
        return self._python("systemd-analyze", """
import pathlib
copies = pathlib.Path(ROOT) / "units-mapped"
copies.mkdir(exist_ok=True)
args = []
for arg in sys.argv[1:]:
    path = pathlib.Path(arg)
    if path.suffix in (".service", ".socket", ".timer") and path.is_file():
        copy = copies / path.name
        copy.write_text(map_system_paths(path.read_text(encoding="utf-8"), ROOT), encoding="utf-8")
        arg = str(copy)
    args.append(arg)
os.execv(REAL, [REAL, *args])
""".replace("REAL", repr(real)))


# --- a scratch copy of the project, as git has it -------------------------------------------------


def git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0"}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def overlay_working_tree(dest: Path) -> Path:
    """`dest`, a git clone of this repository, with the working tree's files laid over it
    (tracked and untracked, not ignored; those deleted here removed there), uncommitted: the
    project as it is now. The repository itself is only read."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    deleted = set(git("ls-files", "-z", "--deleted", cwd=REPO).split("\0"))
    for name in filter(None, listed):
        source, target = REPO / name, dest / name
        if target.is_symlink() or target.exists():
            target.unlink()
        if name in deleted or not (source.exists() or source.is_symlink()):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    return dest


def clone_with_working_tree(dest: Path) -> Path:
    """A git clone of this repository (its last commit) holding the working tree as it is now
    (overlay_working_tree)."""
    git("clone", "--quiet", "--no-hardlinks", str(REPO), str(dest), cwd=dest.parent)
    return overlay_working_tree(dest)


def linked_venv(project: Path) -> Path:
    """`project/.venv`: this repository's virtualenv, linked (its packages, its programs), with
    a `.installed` stamp of its own made now, so that `make` in `project` finds the venv up to
    date and never runs pip (which would install into the shared venv). Make it after the files
    `make` compares the stamp with (requirements*.txt) are in place."""
    shared, venv = REPO / ".venv", project / ".venv"
    if venv.is_symlink():
        venv.unlink()
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy(shared / "pyvenv.cfg", venv / "pyvenv.cfg")
    for entry in shared.iterdir():
        if entry.name not in {"bin", "pyvenv.cfg"} and not (venv / entry.name).exists():
            (venv / entry.name).symlink_to(entry)
    for entry in (shared / "bin").iterdir():
        if entry.name != ".installed" and not (venv / "bin" / entry.name).is_symlink():
            (venv / "bin" / entry.name).symlink_to(entry)
    (venv / "bin" / ".installed").touch()
    up_to_date = subprocess.run(["make", "-q", ".venv/bin/.installed"], cwd=project, capture_output=True,
                                env=clean_environment())
    assert up_to_date.returncode == 0, "make would reinstall the venv in the scratch project: " + up_to_date.stderr.decode()
    return venv


def build_environment(**more: str) -> dict[str, str]:
    """What `make build` runs with in a scratch project: no SITE_URL, ENV_FILE or mail setting
    of the test runner's, the project's caches (.cache/: the check's PDF layouts, compressed
    copies, preview cards…), no PDFs (RT_PDF=0: they take minutes; tests/print/ tests them)."""
    env = clean_environment(RT_PDF="0", PYTHONDONTWRITEBYTECODE="1", NO_MKDOCS_2_WARNING="1", **project_caches(REPO))
    env.pop("PYTHONPATH")  # the scratch project's own code, not this repository's
    env.update(more)
    return env


# --- the server as DEPLOY.md sets it up ---------------------------------------------------------

ENVIRONMENT_FILE_BLOCK = ("systemd unit", "WAITLIST_TRUST_PROXY=on")
HELPER_BLOCK = ("Backups", "exec systemd-run")
SERVICE_HOME = "/srv/rebuilding-trust"


def service_checkout(machine: Machine) -> Path:
    """/srv/rebuilding-trust as the unit expects it, for the service's commands: the package
    (`waitlist/`, linked), `pyproject.toml` (its version) and `.venv` (this repository's, linked)."""
    home = machine.path(SERVICE_HOME)
    home.mkdir(parents=True, exist_ok=True)
    (home / "waitlist").symlink_to(REPO / "waitlist")
    shutil.copy(REPO / "pyproject.toml", home / "pyproject.toml")
    (home / ".venv").symlink_to(REPO / ".venv")
    return home


def write_environment_file(machine: Machine, port: int, secret: str) -> Path:
    """DEPLOY.md's /etc/rebuilding-trust.env, as written, with `port` for PORT=8000 and `secret`
    for each `...` (the admin token, WAITLIST_SECRET, the SMTP password); mode 0600."""
    text = machine.fill(block(*ENVIRONMENT_FILE_BLOCK).text, {"PORT=8000": f"PORT={port}", "...": secret})
    path = machine.path("/etc/rebuilding-trust.env")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def install_helper(machine: Machine) -> Path:
    """DEPLOY.md's /usr/local/sbin/waitlist, saved as written (mode 0755), with the
    `systemd-run` stand-in it calls."""
    path = machine.path("/usr/local/sbin/waitlist")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(machine.fill(block(*HELPER_BLOCK).text), encoding="utf-8")
    path.chmod(0o755)
    machine.systemd_run()
    return path
