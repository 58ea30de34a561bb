"""The README stays true: its specs validate (and its error examples fail with the
error shown), its commands and options exist, its runnable examples run, its
bundled-spec table is the one generated from specs/, and CI reads its quick start.

The README marks its code blocks with an HTML comment on the line before:

    <!-- fragment -->          a YAML excerpt: it must parse, nothing more
    <!-- error: TEXT -->       a spec that `kspec validate` refuses with TEXT
    <!-- rubric -->            a grading rubric: it must pass `kspec rubric check`
    <!-- file: NAME -->        the block is saved as NAME for the `run` blocks
    <!-- run -->               a bash block whose kspec lines are run, in order
    (several at once: `<!-- file: old.yaml; error: TEXT -->`)

Every other YAML block is a spec and must validate. Blocks run in one folder where
`data/` and `examples/` are the repository's, so the README's relative paths work.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

import readme_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MARKS = ("fragment", "error", "rubric", "file", "run")
FENCE = re.compile(r"^\s*```(\w*)\s*$")
COMMENT = re.compile(r"^\s*<!-- (.*?) -->\s*$")


@dataclass
class Block:
    lang: str
    text: str
    line: int  # of the opening fence, 1-based
    marks: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.lang or 'text'}@{self.line}"


def parse_marks(comment: str) -> dict:
    marks = {}
    for part in re.split(r";\s*(?=(?:%s)\b)" % "|".join(MARKS), comment):
        key, _, value = part.partition(":")
        assert key.strip() in MARKS, f"unknown README block mark {part!r}"
        marks[key.strip()] = value.strip()
    return marks


def code_blocks(text: str = README) -> list[Block]:
    blocks, lines, i, pending = [], text.splitlines(), 0, None
    while i < len(lines):
        line = lines[i]
        comment, fence = COMMENT.match(line), FENCE.match(line)
        if comment and not comment.group(1).startswith(("ci:", "bundled-specs")):
            pending = parse_marks(comment.group(1))
        elif fence:
            end = next(j for j in range(i + 1, len(lines)) if FENCE.match(lines[j])
                       and not FENCE.match(lines[j]).group(1))
            body = textwrap.dedent("\n".join(lines[i + 1:end])) + "\n"
            blocks.append(Block(fence.group(1), body, i + 1, pending or {}))
            pending, i = None, end
        elif line.strip():
            pending = None  # a mark belongs to the block right after it
        i += 1
    return blocks


BLOCKS = code_blocks()
YAML = [b for b in BLOCKS if b.lang == "yaml"]
SPECS = [b for b in YAML if not {"fragment", "error", "rubric"} & set(b.marks)]
ERRORS = [b for b in YAML if "error" in b.marks]
RUBRICS = [b for b in YAML if "rubric" in b.marks]
RUN = [b for b in BLOCKS if "run" in b.marks]


def ids(blocks):
    return [b.id for b in blocks]


# ---- structure -------------------------------------------------------------------------

HEADINGS = re.findall(r"^(#{2,3}) (.+)$", README, flags=re.M)


def test_every_heading_is_unique():
    titles = [t for _, t in HEADINGS]
    assert len(titles) == len(set(titles)), {t for t in titles if titles.count(t) > 1}


def test_one_data_section():
    assert len(re.findall(r"^## Data", README, flags=re.M)) == 1


def test_the_manual_has_its_sections():
    top = [t for level, t in HEADINGS if level == "##"]
    for wanted in ("Quick start", "A spec", "Data", "Training and the run folder", "Tasks",
                   "Using a trained run", "Sharing and authoring specs", "Grading by spec",
                   "Commands", "Bundled specs", "Layout", "Benchmarks"):
        assert any(t.startswith(wanted) for t in top), wanted
    sub = [t for level, t in HEADINGS if level == "###"]
    for wanted in ("task: forecast", "task: language_model", "extends, unset, layers_by_name",
                   "--set", "Editor set-up", "Format versions"):
        assert any(wanted in t for t in sub), wanted


def slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def test_links_inside_the_readme_point_at_headings():
    anchors = {slug(t) for _, t in HEADINGS}
    links = re.findall(r"\]\(#([^)]+)\)", README)
    assert links, "the README links between its sections"
    assert set(links) <= anchors, set(links) - anchors


def test_the_contents_list_every_section_in_order():
    contents = README.split("**Contents**", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- \[(.+?)\]\(#([^)]+)\)", contents, flags=re.M)
    top = [t for level, t in HEADINGS if level == "##"]
    assert [title for title, _ in listed] == top
    assert [anchor for _, anchor in listed] == [slug(t) for t in top]


def test_examples_rubric_points_at_a_readme_section():
    rubric = (ROOT / "examples" / "assignment-digits" / "rubric.yaml").read_text()
    section = re.search(r'see README: "([^"]+)"', rubric).group(1)
    assert section in [t for _, t in HEADINGS]


# ---- YAML blocks -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder like a student's: data/ and examples/ at hand, the README's files in it."""
    ws = tmp_path_factory.mktemp("readme")
    (ws / "data").symlink_to(ROOT / "specs" / "data")
    (ws / "examples").symlink_to(ROOT / "examples")
    for b in YAML:
        (ws / (b.marks.get("file") or f"block_{b.line}.yaml")).write_text(b.text)
    return ws


def path_of(ws: Path, b: Block) -> Path:
    return ws / (b.marks.get("file") or f"block_{b.line}.yaml")


def validate(path: Path):
    """`kspec validate NAME` run in the spec's folder, as a student would."""
    from cli import main
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        return CliRunner().invoke(main, ["validate", path.name], catch_exceptions=False)
    finally:
        os.chdir(here)


def test_readme_shows_full_specs_and_error_examples():
    assert len([b for b in SPECS if re.search(r"^kspec: 1\b", b.text, flags=re.M)]) >= 5
    assert any("extends" in yaml.safe_load(b.text) for b in SPECS)
    assert len(ERRORS) >= 3 and RUBRICS and RUN


@pytest.mark.parametrize("block", YAML, ids=ids(YAML))
def test_every_yaml_block_parses(block):
    assert yaml.safe_load(block.text) is not None


@pytest.mark.parametrize("block", SPECS, ids=ids(SPECS))
def test_every_spec_in_the_readme_validates(workspace, block):
    result = validate(path_of(workspace, block))
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("block", ERRORS, ids=ids(ERRORS))
def test_every_error_example_fails_with_the_error_shown(workspace, block):
    path = path_of(workspace, block)
    result = validate(path)
    assert result.exit_code == 1
    assert block.marks["error"] in result.stderr, result.stderr
    shown = BLOCKS[BLOCKS.index(block) + 1]
    if shown.lang == "" and shown.line - block.line < len(block.text.splitlines()) + 6:
        # the output printed after the spec is the real one, for the file name shown
        assert result.stderr.splitlines() == shown.text.strip().splitlines()


@pytest.mark.parametrize("block", RUBRICS, ids=ids(RUBRICS))
def test_every_rubric_in_the_readme_checks(workspace, block):
    from cli import main
    result = CliRunner().invoke(main, ["rubric", "check", str(path_of(workspace, block))],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


# ---- commands ------------------------------------------------------------------------------

def bash_lines(block: Block) -> list[str]:
    out = []
    for line in block.text.splitlines():
        out += [part.strip() for part in line.split("&&") if part.strip().startswith("kspec ")]
    return out


def shown_commands() -> list[str]:
    """Every `kspec ...` the README shows: in code spans and in bash blocks."""
    spans = [s.replace("\\|", "|") for s in re.findall(r"`(kspec [^`]+)`", README)]
    return spans + [line for b in BLOCKS if b.lang == "bash" for line in bash_lines(b)]


def command_of(words: list[str]):
    from cli import main
    cmd, used = main, []
    while isinstance(cmd, click.Group) and words and words[0] in cmd.commands:
        used.append(words[0])
        cmd = cmd.commands[words.pop(0)]
    return cmd, used


def test_every_command_and_option_in_the_readme_exists():
    commands = shown_commands()
    assert len(commands) > 40
    for shown in commands:
        words = shown.split()[1:]
        if words[0] in ("-h", "--help", "--version"):
            continue
        cmd, used = command_of(list(words))
        assert used and not isinstance(cmd, click.Group), f"no such command: {shown}"
        options = {o for p in cmd.params for o in p.opts + p.secondary_opts} | {"-h", "--help"}
        for option in re.findall(r"(?:(?<=\s)|(?<=\[))(--?[A-Za-z][\w-]*)", shown):
            assert option in options, f"{shown}: kspec {' '.join(used)} has no {option}"


def test_the_commands_table_lists_every_command():
    from cli import main
    section = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    listed = {tuple(command_of(s.split()[1:])[1])
              for s in re.findall(r"`(kspec [^`]+)`", section)}
    wanted = {(name,) if not isinstance(c, click.Group) else (name, sub)
              for name, c in main.commands.items()
              for sub in (c.commands if isinstance(c, click.Group) else [None])}
    assert wanted <= listed, wanted - listed
    groups = re.findall(r"^\| \*\*(.+?)\*\* \|", section, flags=re.M)
    from cli import SECTIONS  # the groups of `kspec --help`, in its order
    assert groups == list(SECTIONS)


def test_the_commands_table_gives_every_option():
    """Each command's row shows all its options; --set and --max-weights, shared by
    every command that reads a spec, are said once above the table."""
    from cli import main
    section = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    intro, rows = section.split("\n| command |", 1)
    assert "`--set KEY=VALUE`" in intro and "`--max-weights SIZE`" in intro
    cells = [line.split(" | ")[0] for line in rows.splitlines() if line.startswith("| `kspec")]

    def leaves(cmd, path):
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from leaves(sub, path + [name])
        else:
            yield " ".join(path), cmd

    for name, cmd in leaves(main, []):
        shown = " ".join(s for cell in cells for s in re.findall(r"`(kspec [^`]+)`", cell)
                         if (s + " ").startswith(f"kspec {name} "))
        assert shown, f"kspec {name} has no row"
        opts = [p for p in cmd.params if isinstance(p, click.Option)]
        shared = {"--set", "--max-weights"}
        missing = [p.opts[-1] for p in opts if not shared & set(p.opts)
                   and not any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", shown)
                               for o in p.opts + p.secondary_opts)]
        assert not missing, f"kspec {name}: the Commands table does not show {missing}"
        if any(shared & set(p.opts) for p in opts):
            assert name in intro, f"kspec {name} takes --set: name it above the table"


def table_groups() -> dict[str, str]:
    """command name -> its group in the README's commands table."""
    section = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    groups, group = {}, None
    for line in section.splitlines():
        heading = re.match(r"^\| \*\*(.+?)\*\* \|", line)
        if heading:
            group = heading.group(1)
        elif group and line.startswith("| `kspec"):
            for shown in re.findall(r"`(kspec [^`]+)`", line.split(" | ")[0]):
                groups.setdefault(shown.split()[1], group)
    return groups


def test_kspec_help_groups_the_commands_as_the_readme_does():
    from cli import main
    help_text = CliRunner().invoke(main, ["--help"]).stdout
    if "write and check" not in help_text.lower():
        pytest.skip("kspec --help does not group its commands yet (issue 10, item 6)")
    shown, group = {}, None
    for line in help_text.splitlines():
        if line and not line.startswith(" ") and line.rstrip().endswith(":"):
            group = line.strip().rstrip(":").lower()
        elif group and line.startswith("  ") and group != "options":
            shown[line.split()[0]] = group
    assert shown == {name: g.lower() for name, g in table_groups().items()}


# ---- the runnable examples -------------------------------------------------------------------

@pytest.fixture(scope="module")
def ran(workspace):
    """Run every kspec line of the `run` blocks in order, in the workspace."""
    from cli import main
    results, here = {}, os.getcwd()
    os.chdir(workspace)
    try:
        for b in RUN:
            for line in bash_lines(b):
                args = shlex.split(line, comments=True)[1:]
                results[line.split("#")[0].strip()] = CliRunner().invoke(
                    main, args, catch_exceptions=False)
    finally:
        os.chdir(here)
    return results


def ran_line(ran, start: str):
    matches = [r for line, r in ran.items() if line.startswith(start)]
    assert len(matches) == 1, f"the README runs one `{start}...`"
    return matches[0]


def test_every_runnable_example_succeeds(ran):
    assert len(ran) >= 10
    failed = {line: r.stderr or r.stdout for line, r in ran.items() if r.exit_code != 0}
    assert not failed


def test_extends_unset_and_layers_by_name_show_in_the_export(ran, workspace):
    full = yaml.safe_load((workspace / "my_vae.full.yaml").read_text())
    base = yaml.safe_load((ROOT / "specs" / "generative" / "digits_vae.yaml").read_text())
    encoder = full["models"]["encoder"]["layers"]
    assert len(encoder) == len(base["models"]["encoder"]["layers"]) - 1  # unset: first layer
    assert encoder[0]["dense"]["name"] == "h" and encoder[0]["dense"]["units"] == 32
    assert full["train"]["beta"] == 0.5
    assert full["train"]["optimizer"]["adam"]["learning_rate"] == 0.001
    assert full["train"]["batch_size"] != base["train"]["batch_size"]  # back to the default
    assert len(full["models"]["decoder"]["layers"]) == len(base["models"]["decoder"]["layers"])
    diff = ran_line(ran, "kspec diff digits_vae my_vae.yaml").stdout
    assert "models.encoder.layers['h'].dense.units: 64 -> 32" in diff
    prints = ran_line(ran, "kspec fingerprint my_vae.yaml").stdout.split()
    assert prints[0] == prints[2], "an export keeps the fingerprint"


def test_set_examples_apply(ran):
    out = ran_line(ran, "kspec export digits_cnn --set").stdout
    spec = yaml.safe_load(out)
    assert spec["train"]["epochs"] == 5
    assert spec["train"]["optimizer"]["adam"]["learning_rate"] == 0.01
    assert spec["model"]["layers"][0]["conv2d"]["filters"] == 8
    vae = yaml.safe_load(ran_line(ran, "kspec export digits_vae --set").stdout)
    named = [layer["dense"] for layer in vae["models"]["encoder"]["layers"]
             if layer.get("dense", {}).get("name") == "h"]
    assert [layer["units"] for layer in named] == [32]


def test_new_and_upgrade_examples_write_valid_specs(ran, workspace):
    assert "extends: digits_cnn" in (workspace / "my_cnn.yaml").read_text()
    assert "extends" not in yaml.safe_load((workspace / "copy.yaml").read_text())
    upgraded = yaml.safe_load((workspace / "new.yaml").read_text())
    assert upgraded["kspec"] == 1 and upgraded["model"]["input"] == [4]


@pytest.mark.parametrize("spec", ["airline_lstm", "shakespeare_char_lstm"])
def test_kspec_data_prints_what_the_sequence_sections_say(ran, spec):
    line = next(line for b in RUN for line in b.text.splitlines()
                if line.startswith(f"kspec data {spec} "))
    said = line.split("#", 1)[1].strip()
    assert said in ran_line(ran, f"kspec data {spec}").stdout


def test_rubric_check_lists_the_example_checks(ran):
    out = ran_line(ran, "kspec rubric check examples/assignment-digits/rubric.yaml").stdout
    assert re.search(r"ok \(\d+ checks, [\d.]+ points\)", out)
    assert "Test accuracy" in out


# ---- the bundled-spec table ------------------------------------------------------------------

def test_seeing_inside_shows_what_inspect_prints_and_writes(ran, workspace):
    shown = next(b.text for b in BLOCKS if b.lang == "text"
                 and b.text.startswith("hand_forward_pass: "))
    assert ran_line(ran, "kspec inspect hand_forward_pass").stdout == shown
    assert "   2  7  4 -7\n" in ran_line(ran, "kspec inspect fixed_kernel_conv").stdout
    for file in ("l16/kernel.png", "l16/kernel.csv", "l16-apply/apply.png", "resnet.svg",
                 "activations.png"):
        assert (workspace / file).is_file(), file


def test_bundled_spec_table_is_the_generated_one():
    assert readme_table.in_readme(README) == readme_table.table(), \
        "regenerate it: python tests/readme_table.py --write"


def test_bundled_spec_table_equals_kspec_list():
    """Row by row, the table says what `kspec list` says: topic, name, lecture ids and
    the description's first sentence."""
    from cli import main
    listed, topic = [], None
    for line in CliRunner().invoke(main, ["list"]).stdout.splitlines():
        if not line.startswith(" "):
            topic = line.rstrip("/")
            continue
        name, lectures, what = re.match(r"^  (\S+)\s+(\S+)\s+(.*)$", line).groups()
        listed.append((topic, name, lectures.replace(",", ", "), what))
    row = re.compile(r"^\| (\w+) \| `([^`]+)` \| ([L\d, ]+) \| (.*) \| [^|]+ \|$")
    table = [row.match(line).groups() for line in
             readme_table.in_readme(README).splitlines()[2:]]
    assert [(t, n, lec, what.replace("\\|", "|")) for t, n, lec, what in table] == listed


def test_download_column_marks_the_specs_that_fetch_data():
    data = {name: d for _, name, _, _, d in readme_table.rows()}
    assert data["mnist_mlp"].startswith("download") and data["activity_cnn1d_uci"].startswith(
        "download")
    assert data["mnist_autoencoder64"].startswith("download")
    assert data["digits_cnn"] == "offline" and data["airline_lstm"] == "offline"
    assert data["photo_colorization"] == "offline"


# ---- CI ------------------------------------------------------------------------------------

def test_ci_reads_the_two_quick_start_commands():
    script = ROOT / ".ci" / "run"
    out = subprocess.run(["bash", "-c", f"source <(sed -n '/^block()/,/^}}/p' {script}); "
                         f"cd {ROOT}; block ci:main; block ci:test"],
                         capture_output=True, text=True)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("pip install -e .") and "kspec train" in lines[0]
    assert "pytest" in lines[1]


def test_validate_counts_shown_in_the_readme_are_what_validate_prints(cli):
    """The 'Sizes before any weight exists' lines are validate's own output."""
    section = README[README.index("### Sizes before any weight exists"):]
    shown = [line for line in section.split("```")[1].strip().splitlines()]
    for line in shown:
        name = line.split(".yaml")[0]
        result = cli("validate", name)
        assert result.exit_code == 0, result.output
        assert result.output.strip().endswith(line), (result.output, line)
