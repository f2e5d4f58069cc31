"""DEPLOY.md is a document that is tested: every fenced block in it (shell commands, the
mkdocs.yml settings, the environment file, the cron file…) is run or built by some test, as it
is written, or is sample output declared here with the reason.

Each test module that runs blocks declares them in its `DEPLOY_MD_BLOCKS` (tests/deploy_document.py
says how); this module reads those declarations from the modules' source and fails on a block
that nobody claims, naming it by its line, its section, its language and its first line: a block
added to DEPLOY.md, or a heading renamed, fails here until a test runs it. It also fails on a
claim that matches no block (or several), and on a claim for a test its module does not define.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.deploy_document import (
    OUTPUT_LANGUAGES,
    Claims,
    blocks,
    commands,
    coverage_problems,
    environment_file,
    every_claim,
)

# Blocks that show what the reader will see, not something to type or paste: only text
# blocks, each with the reason. (None now: the one sample, the email's unsubscribe headers, is
# checked against a real email by tests/waitlist/test_deploy.py.)
ILLUSTRATIVE: dict[tuple[str, str], str] = {}

# Blocks that need a program that does not work where the tests run: (section, marker) → the
# program. Allowed only while it does not (the check fails once it works: `installed`) and
# only for a block that uses it.
# (None now: tests/waitlist/test_container.py claims the Containers section's blocks.)
NOT_RUN_HERE: dict[tuple[str, str], str] = {}


# How to tell that a program works here, beyond being on PATH: docker's client without a
# daemon answering runs nothing.
PROBES = {"docker": ["docker", "info"]}


def installed(programs: list[str]) -> dict[str, bool]:
    """Whether each program works on this machine: on PATH, and its probe succeeds."""
    def works(program: str) -> bool:
        if shutil.which(program) is None:
            return False
        if program not in PROBES:
            return True
        try:
            return subprocess.run(PROBES[program], capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False
    return {program: works(program) for program in programs}


def test_every_block_of_deploy_md_is_run_by_a_test() -> None:
    every = blocks()
    assert len(every) >= 25, [b.where() for b in every]  # the extractor found DEPLOY.md's blocks
    problems = coverage_problems(every, every_claim(), ILLUSTRATIVE, NOT_RUN_HERE,
                                 installed(sorted(set(NOT_RUN_HERE.values()))))
    assert not problems, "\n\n".join(problems)


def test_the_claims_are_spread_over_the_modules_that_run_them() -> None:
    """The modules that declare blocks are the ones this change made claim them; each of their
    claimed tests exists (checked above), and no module claims nothing."""
    claims = every_claim()
    modules = {c.module for c in claims}
    assert {"tests/test_hosted_mode.py", "tests/waitlist/test_restore_steps.py", "tests/waitlist/test_backup.py",
            "tests/waitlist/test_deploy.py", "tests/waitlist/test_deploy_commands.py",
            "tests/waitlist/test_build_and_upgrade_steps.py"} <= modules, modules
    assert all(c.blocks for c in claims)


# -- the check itself, on a document of its own ----------------------------------------------------

DOCUMENT = """# Title

## Install

```sh
apt-get install thing
```

Then:

```yaml
key: value
```

### Output

```text
ok: 3 rows
```

```
unlabelled --command
```
"""


def claims_of(module: str, claimed: dict[tuple[str, str], tuple[str, ...]], functions: set[str]) -> Claims:
    return Claims(module, claimed, frozenset(functions))


def test_the_extractor_gives_section_number_language_and_line() -> None:
    found = blocks(DOCUMENT)
    assert [(b.section, b.number, b.language, b.line, b.first_line) for b in found] == [
        ("Install", 1, "sh", 5, "apt-get install thing"),
        ("Install", 2, "yaml", 11, "key: value"),
        ("Output", 1, "text", 17, "ok: 3 rows"),
        ("Output", 2, "", 21, "unlabelled --command"),
    ]
    assert found[0].where() == 'DEPLOY.md:5: section "Install", block 1 (sh): apt-get install thing'
    # A heading-like line inside a block is the block's, not a section.
    inner = blocks("## A\n\n```sh\n# a comment\ncmd\n```\n\n```sh\nnext\n```\n")
    assert [(b.section, b.number) for b in inner] == [("A", 1), ("A", 2)]
    # Fences in a list item, indented, and longer fences holding shorter ones.
    nested = blocks("## B\n\n1. Run:\n\n   ````sh\n   echo '```'\n   ````\n")
    assert [(b.section, b.text) for b in nested] == [("B", "echo '```'\n")]
    with pytest.raises(ValueError, match="DEPLOY.md:3: a fence that is never closed"):
        blocks("## C\n\n```sh\nnever closed\n")


def test_an_unclaimed_block_is_named_by_line_section_and_first_line() -> None:
    every = blocks(DOCUMENT)
    claims = [claims_of("tests/test_x.py", {("Install", "apt-get"): ("test_install",)}, {"test_install"})]
    problems = coverage_problems(every, claims, {("Output", "ok:"): "sample output"}, {}, {})
    assert [p.split(": no test runs")[0] for p in problems if "no test runs" in p] == [
        'DEPLOY.md:11: section "Install", block 2 (yaml): key: value',
        'DEPLOY.md:21: section "Output", block 2 (no language): unlabelled --command',
    ]
    assert 'DEPLOY.md:21: section "Output", block 2 (no language): unlabelled --command: the fence names no language' \
        in "\n".join(problems)


def test_a_block_added_before_a_claimed_one_is_named_and_the_claim_still_holds() -> None:
    claimed = {("Install", "apt-get"): ("test_install",), ("Install", "key:"): ("test_yaml",)}
    claims = [claims_of("tests/test_x.py", claimed, {"test_install", "test_yaml"})]
    illustrative = {("Output", "ok:"): "sample output"}
    document = DOCUMENT.replace("\n```\nunlabelled --command\n```\n", "")
    assert coverage_problems(blocks(document), claims, illustrative, {}, {}) == []
    added = document.replace("## Install\n", "## Install\n\n```sh\nsystemctl enable thing\n```\n")
    assert coverage_problems(blocks(added), claims, illustrative, {}, {}) == [
        'DEPLOY.md:5: section "Install", block 1 (sh): systemctl enable thing: no test runs this block. Claim it in '
        "the DEPLOY_MD_BLOCKS of the test module that runs it ((section, a string only this block of the section "
        "holds): test names), or, if it is sample output, label it text and declare it in ILLUSTRATIVE of "
        "tests/test_deploy_document.py with the reason"]


def test_a_renamed_heading_names_the_stale_claim_and_the_blocks_under_the_new_name() -> None:
    claims = [claims_of("tests/test_x.py", {("Install", "apt-get"): ("test_install",),
                                            ("Install", "key:"): ("test_yaml",)}, {"test_install", "test_yaml"})]
    renamed = DOCUMENT.replace("## Install", "## Installing").replace("\n```\nunlabelled --command\n```\n", "")
    problems = coverage_problems(blocks(renamed), claims, {("Output", "ok:"): "sample"}, {}, {})
    assert problems[0] == ('tests/test_x.py: ("Install", "apt-get") matches no block: no section of DEPLOY.md with '
                           'blocks is headed "Install"')
    assert [p.split(": no test runs")[0] for p in problems if "no test runs" in p] == [
        'DEPLOY.md:5: section "Installing", block 1 (sh): apt-get install thing',
        'DEPLOY.md:11: section "Installing", block 2 (yaml): key: value',
    ]


def test_claims_must_match_one_block_and_name_defined_tests() -> None:
    every = blocks(DOCUMENT)
    claims = [claims_of("tests/test_x.py", {("Install", "e"): ("test_a",), ("Install", "nowhere"): ("test_b",)},
                        {"test_a"})]
    problems = "\n".join(coverage_problems(every, claims, {}, {}, {}))
    assert 'tests/test_x.py: ("Install", "e") matches 2 blocks; give a string only one of them holds' in problems
    assert ('tests/test_x.py: ("Install", "nowhere") matches no block: none of the section\'s blocks holds "nowhere":\n'
            '  DEPLOY.md:5: section "Install", block 1 (sh): apt-get install thing') in problems
    assert "tests/test_x.py: claims ('Install', 'nowhere') for test_b, which it does not define" in problems


def test_commands_cannot_be_declared_illustrative_and_missing_programs_are_checked() -> None:
    every = blocks(DOCUMENT)
    problems = "\n".join(coverage_problems(every, [], {("Install", "apt-get"): "just an example",
                                                       ("Output", "ok:"): ""},
                                           {("Install", "key:"): "apt-get", ("Output", "unlabelled"): "unlabelled"},
                                           {"unlabelled": True}))
    assert "ILLUSTRATIVE: DEPLOY.md:5: section \"Install\", block 1 (sh): apt-get install thing: a sh block is " \
           "something an owner types or pastes" in problems
    assert "ILLUSTRATIVE: DEPLOY.md:17: section \"Output\", block 1 (text): ok: 3 rows: give the reason" in problems
    assert "NOT_RUN_HERE: DEPLOY.md:11: section \"Install\", block 2 (yaml): key: value: the block does not use " \
           "apt-get" in problems
    assert "unlabelled works here now: write the test that runs this block" in problems
    assert OUTPUT_LANGUAGES == {"text", "output", "http"}


def test_the_helpers_read_commands_and_environment_files_as_the_shell_and_systemd_do() -> None:
    assert commands("# note\n\nfirst --a \\\n  --b\nsecond  # trailing\n") == ["first --a \\\n  --b", "second  # trailing"]
    assert environment_file("# c\n; c\nA=1\nB = two words <x@y>\nC='quoted'\n\nD=\"q\"\n") == {
        "A": "1", "B": "two words <x@y>", "C": "quoted", "D": "q"}
    with pytest.raises(ValueError, match="line 1 is not KEY=value"):
        environment_file("export A=1 B\n")

