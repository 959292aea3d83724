"""YAML people hand us is read within a budget: an alias bomb of 600 bytes (435 million values expanded) is refused
at once, wherever YAML is read (journeys, tag rules, coupon and message templates, points rules), and the CLI
process stays small; ordinary anchors and aliases still work."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from engine.errors import Invalid
from engine.files.yaml_budget import MAX_NODES, YamlBudgetError, load_yaml

LEVELS = "abcdefghi"
ALIASES = "".join(f",\n    &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in itertools.pairwise(LEVELS))
BOMB = f"""id: lol
name: lol
trigger: {{type: manual}}
audience:
  kind: attribute
  attribute: city
  op: gt
  value: [
    &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]{ALIASES}]
steps: [{{id: t, type: add_tag, tag: T}}]
"""  # a journey whose audience compares the city with a list of 9^9 values


def test_the_bomb_is_small_and_would_expand_to_hundreds_of_millions() -> None:
    assert len(BOMB.encode()) < 1300
    assert sum(9**level for level in range(1, 10)) > 435_000_000


def test_memberflow_journey_validate_refuses_the_bomb_at_once_in_little_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")

    # memberflow in a process allowed 1 GB: the 5 GB this once took would end it instead
    limited = (
        "import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); "
        "sys.argv = ['memberflow', *sys.argv[1:]]; runpy.run_module('cli', run_name='__main__')"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", limited, "journey", "validate", str(bomb)], capture_output=True, text=True, timeout=60,
        check=False, env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip

    assert done.returncode == 2  # refused input, as for every refusal (engine.errors) of the CLI
    assert f"error: {bomb}: not valid YAML: its aliases expand to more than {MAX_NODES} values" in done.stderr
    assert time.monotonic() - started < 30  # the interpreter's start included; the refusal itself is instant


@pytest.mark.parametrize(
    "command",
    [["tags", "load"], ["coupons", "load"], ["messages", "load"], ["points", "rules"]],
    ids=lambda command: " ".join(command),
)
def test_every_command_reading_yaml_refuses_the_bomb(tmp_path: Path, command: list[str]) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")

    started = time.monotonic()
    result = CliRunner().invoke(app, [*command, str(bomb)])

    assert time.monotonic() - started < 2
    assert result.exit_code == 1
    assert isinstance(result.exception, Invalid)
    assert f"its aliases expand to more than {MAX_NODES} values" in str(result.exception)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a: &a [1, *a]\n", "an alias refers to the value that contains it"),
        ("[" * 5000 + "]" * 5000, "the document is nested too deeply"),
        ("x" * 2_000_001, "the file has more than 2000000 characters"),
    ],
    ids=["recursive alias", "deep nesting", "too long"],
)
def test_other_documents_beyond_the_budget_are_refused(text: str, says: str) -> None:
    with pytest.raises(YamlBudgetError, match=says):
        load_yaml(text)


def test_ordinary_anchors_and_aliases_still_load() -> None:
    text = """
    vip: &vip {kind: has_tag, tag: VIP}
    rules:
      - {tag: A, condition: *vip}
      - {tag: B, condition: {kind: not, condition: *vip}}
    base: &base {name: x, kind: gift}
    coupon: {<<: *base, gift: 礼盒}
    """

    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml(text)["coupon"] == {"name": "x", "kind": "gift", "gift": "礼盒"}
    assert load_yaml("") is None
