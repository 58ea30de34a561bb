"""Packaging: every builder package ships, and an installed wheel finds the bundled specs."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_builder_package_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {p.parent for p in (ROOT / "builder").rglob("*.py")}
    assert all((f / "__init__.py").is_file() for f in folders), "every package has __init__.py"
    on_disk = {".".join(f.relative_to(ROOT).parts) for f in folders}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages"
    # and nothing listed is missing (a clean clone would fail to install)
    mapped = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["package-dir"])
    assert listed - on_disk - mapped == set(), "these are listed but not in the tree"


def test_installed_wheel_finds_bundled_specs(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    target = tmp_path / "site"
    (wheel,) = wheels.glob("kspec-*.whl")
    import zipfile  # the studio's built page ships too: a user needs no Node
    names = set(zipfile.ZipFile(wheel).namelist())
    page = [p.relative_to(ROOT).as_posix() for p in (ROOT / "builder/studio/static").rglob("*")
            if p.is_file()]
    assert "builder/studio/static/index.html" in page and set(page) <= names, \
        sorted(set(page) - names)
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    code = ("import builder, sys; from builder.spec.library import bundled, specs_dir\n"
            "assert str(specs_dir()).startswith(sys.argv[1]), specs_dir()\n"
            "from cli import main\nmain(['validate', 'digits_cnn'])")
    out = subprocess.run([sys.executable, "-c", code, str(target)], cwd=tmp_path,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "digits_cnn.yaml: ok" in out.stdout
