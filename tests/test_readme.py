"""The README stays true: its full specs validate, its commands exist, and CI reads
its quick-start commands."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", README, flags=re.S)
FULL_SPECS = [b for b in YAML_BLOCKS if re.search(r"^kspec: 1\b", b, flags=re.M)]


def test_readme_has_full_spec_examples():
    assert len(FULL_SPECS) >= 3


@pytest.mark.parametrize("block", FULL_SPECS, ids=lambda b: re.search(r"name: (\S+)", b).group(1))
def test_every_full_spec_in_the_readme_validates(tmp_path, cli, block):
    path = tmp_path / "readme_spec.yaml"
    path.write_text(block)
    result = cli("validate", path)
    assert result.exit_code == 0, result.stderr


def test_every_command_in_the_readme_exists():
    from cli import main
    used = set(re.findall(r"`kspec ([a-z-]+)", README))
    assert used, "the README names its commands"
    assert used <= set(main.commands), used - set(main.commands)


def test_ci_reads_the_two_quick_start_commands():
    script = ROOT / ".ci" / "run"
    out = subprocess.run(["bash", "-c", f"source <(sed -n '/^block()/,/^}}/p' {script}); "
                         f"cd {ROOT}; block ci:main; block ci:test"],
                         capture_output=True, text=True)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("pip install -e .") and "kspec train" in lines[0]
    assert "pytest" in lines[1]
