"""Docs that cannot drift from the CLI: each command has an example and is in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from ingest.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{full} "))
        else:
            found.append((full, command))
    return found


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_help_has_an_example(name, command):
    """Each command's --help shows at least one example invocation."""
    text = command.help or ""
    assert "Example" in text, name
    assert f"ingest {name}" in text, name


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_command_is_in_the_readme(name):
    """Each command is listed in the README."""
    assert f"ingest {name}" in README


def test_readme_quick_start_has_the_two_commands():
    """The quick start shows the demo command and the test command .ci/run runs."""
    blocks = README.split("```sh\n")[1:3]
    assert "ingest demo" in blocks[0]
    assert blocks[1].strip().startswith("bash .ci/run")


def test_exit_codes_are_documented():
    """The README and `ingest run --help` both list the exit codes."""
    for code in ("`0`", "`1`", "`2`", "`75`"):
        assert code in README
    epilog = cli.commands["run"].epilog or ""
    assert all(f"{c} " in epilog for c in ("0", "1", "2", "75"))


@pytest.mark.parametrize("name", ["show", "extract"])
def test_no_boilerplate_has_an_example_and_a_readme_row(name):
    """The show and extract --help each give an example with --no-boilerplate; the README has it."""
    examples = [line.strip() for line in (cli.commands[name].help or "").splitlines()]
    assert any(
        line.startswith(f"ingest {name} ") and "--no-boilerplate" in line for line in examples
    )
    row = next(line for line in README.splitlines() if line.startswith(f"| `ingest {name} "))
    assert "--no-boilerplate" in row
