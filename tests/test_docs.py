"""The README documents every command and every NEWSARC_* setting, and keeps its two set-up commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler import settings as project_settings
from crawler.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_documented(name: str) -> None:
    assert f"`newsarc {name}`" in _section("Commands")


@pytest.mark.parametrize(
    "name", sorted(n for n in vars(project_settings) if n.startswith("NEWSARC_"))
)
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in _section("Settings")


def test_readme_starts_with_the_two_setup_commands() -> None:
    block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert block
    commands = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("newsarc demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "grep -m1 -A1 '^# run the tests' README.md" in ci
    lines = README.splitlines()
    command = lines[lines.index("# run the tests") + 1]
    assert "pip install" in command and "pytest" in command
