"""The README documents every command and every config key (sqlite-utils' and datasette's habit)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from policywatch.cli import build_parser
from policywatch.config import Config, PortalConfig, SubscriptionConfig

README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command):
    forms = (f"policywatch {command}", f"policywatch --config policywatch.toml {command}", f"`{command}`")
    assert any(form in README for form in forms), f"README does not mention '{command}'"


@pytest.mark.parametrize("key", sorted(set(Config.model_fields) | set(PortalConfig.model_fields) | set(SubscriptionConfig.model_fields)))
def test_every_config_key_is_in_the_readme(key):
    forms = (f"{key} =", f"`{key}`", f"[[{key}]]")
    assert any(form in README for form in forms), f"README does not document config key '{key}'"


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command):
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sub.choices[command].format_help().strip()
    helps = {a.dest: a.help for a in sub._choices_actions}
    assert helps.get(command), f"'{command}' has no one-line help in 'policywatch --help'"
