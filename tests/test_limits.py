"""One small case per escape the fuzzer found (issue 17) and per limit of
builder/core/limits.py: `kspec validate` answers each with one line naming the
problem (and the limit), exit 1, quickly, never a traceback.
"""
from __future__ import annotations

import time

import pytest

from builder.core import limits

HEAD = """kspec: 1
name: t
data:
  source: {sklearn: iris}
"""
MODEL = """model:
  input: [4]
  layers:
    - dense: {units: 3, activation: softmax}
"""
TRAIN = """train:
  loss: sparse_categorical_crossentropy
  epochs: 1
"""
OK = HEAD + MODEL + TRAIN


def refused(cli, write_spec, text, *words, seconds=15.0):
    """Validate `text`: exit 1, every line one problem, each word in the output; within
    `seconds` (a hang was 20 s to forever; the slack is for the shared 2-core machine)."""
    path = write_spec(text) if isinstance(text, str) else text
    start = time.perf_counter()
    result = cli("validate", path)
    took = time.perf_counter() - start
    err = result.stderr
    assert result.exit_code == 1, (result.stdout, err)
    assert "Traceback" not in err and took < seconds, took
    lines = err.strip().splitlines()
    assert all(line.startswith(str(path)) for line in lines), err[:2000]
    assert all(len(line) < limits.MAX_MESSAGE + 600 for line in lines)
    for word in words:
        assert word in err, err[:2000]
    return err


def test_the_base_spec_is_valid(cli, write_spec):
    assert cli("validate", write_spec(OK)).exit_code == 0


# ---- YAML-level escapes ----------------------------------------------------------------

@pytest.mark.parametrize("nested", ["a: " + "[" * 900 + "]" * 900,
                                    "a: " + "{k: " * 900 + "1" + "}" * 900,
                                    "a:\n" + "".join("  " * i + "- \n" for i in range(1, 900)),
                                    "a: " + "[" * 200_000 + "]" * 200_000])  # was a segfault
def test_deep_nesting_is_refused_before_it_is_composed(cli, write_spec, nested):
    refused(cli, write_spec, OK + nested + "\n", f"more than {limits.MAX_DEPTH} levels deep")


def test_an_anchor_inside_itself(cli, write_spec):
    refused(cli, write_spec, OK + "a: &a [*a]\n", "levels deep")


@pytest.mark.parametrize("merge, kind", [("<<: 5", "a plain value"), ("<<: [1, 2]", "a plain value"),
                                         ("<<: *lst", "a list"), ("<<: [*lst]", "a list")])
def test_merge_keys_take_mappings_only(cli, write_spec, merge, kind):
    text = OK + f"lst: &lst [1, 2]\nx:\n  {merge}\n"
    err = refused(cli, write_spec, text, "merge key '<<' takes a mapping", kind)
    assert f":{len(OK.splitlines()) + 3}:3: x.<<:" in err  # at the merge key itself


def test_merge_of_a_mapping_into_itself(cli, write_spec):
    refused(cli, write_spec, OK + "x: &x {a: 1, <<: *x}\n", "into itself")


def test_merge_keys_still_merge_and_own_keys_win(cli, write_spec):
    text = HEAD.replace("{sklearn: iris}", "&src {sklearn: iris}") + MODEL + TRAIN.replace(
        "epochs: 1", "<<: {epochs: 3, batch_size: 8}\n  epochs: 2")
    path = write_spec(text)
    from builder.spec.load import load_spec
    spec = load_spec(path).spec
    assert (spec.train.epochs, spec.train.batch_size) == (2, 8)


def test_huge_integers_are_refused_by_the_reader(cli, write_spec):
    refused(cli, write_spec, OK.replace("epochs: 1", "epochs: " + "9" * 5000),
            "5,000 digits", f"limit of {limits.MAX_INT_DIGITS}")


def test_long_strings_and_expanded_text(cli, write_spec):
    long = "x" * (limits.MAX_STRING + 1)
    refused(cli, write_spec, OK + f"description: {long}\n", "characters, over the limit")
    bomb = OK + "a: &a " + "y" * 90_000 + "\n" + "b: [" + ", ".join(["*a"] * 200) + "]\n"
    refused(cli, write_spec, bomb, f"more than {limits.MAX_TEXT:,} characters")


def test_many_values_are_refused_before_they_are_built(cli, write_spec):
    rows = ", ".join(["1"] * (limits.MAX_VALUES + 10))
    refused(cli, write_spec, OK + f"a: [{rows}]\n", f"more than {limits.MAX_VALUES:,} values")


def test_a_spec_file_too_large(cli, tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(OK + "# " + "z" * limits.MAX_FILE_BYTES + "\n")
    refused(cli, None, path, "over the limit of", "bytes for a spec")


def test_control_characters_and_dates(cli, write_spec):
    refused(cli, write_spec, OK.replace("name: t", "name: t\x00"), "U+0000")
    # a date-like word is text (PyYAML's timestamp was a ValueError for 2024-99-99)
    from builder.spec.load import load_spec
    assert load_spec(write_spec(OK.replace("name: t", "name: 2024-99-99"))).spec.name == "2024-99-99"


# ---- messages ---------------------------------------------------------------------------

def test_many_problems_are_counted_not_all_printed(cli, write_spec):
    layers = "".join(f"    - dense: {{units: -{i}}}\n" for i in range(300))
    err = refused(cli, write_spec, OK.replace("    - dense: {units: 3, activation: softmax}\n",
                                               layers))
    assert len(err.strip().splitlines()) == limits.MAX_PROBLEMS + 1
    assert "more problems" in err


def test_a_huge_wrong_value_is_quoted_short(cli, write_spec):
    values = "[" + ", ".join(str(i) for i in range(20_000)) + "]"
    err = refused(cli, write_spec, OK.replace("epochs: 1", f"epochs: {values}"), "epochs")
    assert len(err) < 1000


def test_a_huge_unknown_key_costs_nothing(cli, write_spec):
    key = "kernal_siz" * 5000  # an explicit key (`? `): a plain one is capped at 1,024
    layer = f"    - dense:\n        units: 3\n        ? {key}\n        : 1\n"
    err = refused(cli, write_spec, OK.replace("    - dense: {units: 3, activation: softmax}\n",
                                              layer), "unknown key", seconds=10)
    assert len(err) < limits.MAX_MESSAGE + 600


def test_catalog_examples_show_their_braces_once(cli, write_spec):
    err = refused(cli, write_spec, OK.replace("- dense: {units: 3, activation: softmax}",
                                              "- [1]"), "dense: {units: 8")
    assert "{{" not in err


# ---- planner and schema escapes -----------------------------------------------------------

def test_an_empty_input_mapping(cli, write_spec):  # was StopIteration in the planner
    refused(cli, write_spec, OK.replace("input: [4]", "input: {}"), "model.input", "at least one")


def test_repeat_inside_repeat_is_refused_before_expanding(cli, write_spec):
    layers = ("    - repeat:\n        times: 1000\n        layers:\n"
              "          - repeat: {times: 1000, layers: [{dense: 4}]}\n"
              "    - dense: {units: 3, activation: softmax}\n")
    text = OK.replace("    - dense: {units: 3, activation: softmax}\n", layers)
    refused(cli, write_spec, text, "1,000,001 layers", f"limit of {limits.MAX_LAYERS:,}",
            seconds=10)


def test_a_long_extends_is_no_such_file(cli, write_spec):  # was OSError: File name too long
    refused(cli, write_spec, "extends: " + "a" * 5000 + ".yaml\n" + MODEL, "extends: no file")
    refused(cli, write_spec, "extends: " + "b" * 5000 + "\n", "no bundled spec named")


@pytest.mark.parametrize("layer, words", [
    ("conv2d: {filters: 2, kernel_size: 3, strides: 0}", "greater than 0"),  # ZeroDivisionError
    ("max_pooling2d: {pool_size: 0}", "greater than 0"),
    ("conv2d: {filters: 2, kernel_size: [3, 3, 3]}", "give one number or 2"),
    ("zero_padding2d: [[1, 2, 3], [1, 1]]", "[[top, bottom], [left, right]]"),
    ("zero_padding2d: -1", "greater than or equal to 0"),
])
def test_window_sizes(cli, write_spec, layer, words):
    text = HEAD.replace("{sklearn: iris}", "{sklearn: digits}\n  preprocess: [{reshape: [8, 8, 1]}]") \
        + f"model:\n  input: [8, 8, 1]\n  layers:\n    - {layer}\n    - flatten\n" \
        "    - dense: {units: 10, activation: softmax}\n" + TRAIN
    refused(cli, write_spec, text, words)


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e308"])
def test_infinite_and_huge_numbers_in_inline_data(cli, write_spec, value):  # was OverflowError
    text = ("kspec: 1\nname: t\ndata:\n  source:\n    inline: {x: [[0, 0], [0, 1], [1, 0], [1, 1]], "
            f"y: [0, 1, 1, {value}], labels: integer}}\n" + MODEL.replace("[4]", "[2]")
            .replace("units: 3", "units: 2") + TRAIN)
    refused(cli, write_spec, text, "finite numbers")


def test_weights_on_an_open_size(cli, write_spec):  # was TypeError in the counts
    text = OK.replace("input: [4]", "input: [null]")
    refused(cli, write_spec, text, "a size left open (None)")


def test_inline_data_without_targets_for_supervised_training(cli, write_spec):
    text = ("kspec: 1\nname: t\ndata:\n  source:\n    inline: {x: [[0, 0], [0, 1], [1, 0], [1, 1]]}\n"
            + MODEL.replace("[4]", "[2]") + "train: {loss: mse}\n")
    refused(cli, write_spec, text, "data.source.inline.y", "needs targets")


@pytest.mark.parametrize("weights, words", [
    ('{kernel: [["1", "2"]], bias: [0]}', "a weight is a number"),
    ("{kernel: [[1, 2], [3]], bias: [0]}", "differ in length"),
    ("{kernel: [[.nan], [1]], bias: [0]}", "finite number"),
])
def test_hand_set_weights_are_checked_at_validate(cli, write_spec, weights, words):
    text = ("kspec: 1\nname: t\ndata:\n  source:\n    inline: {x: [[0, 0], [1, 1]], y: [0, 1]}\n"
            f"model:\n  input: [2]\n  layers:\n    - dense: {{units: 1, weights: {weights}}}\n"
            "train: {loss: mse}\n")
    refused(cli, write_spec, text, words)


# ---- YAML syntax errors say what to change, where ----------------------------------------

@pytest.mark.parametrize("text, where, words", [
    (OK.replace("  epochs: 1", "\tepochs: 1"), ":11:1: train", "a tab character"),
    (OK.replace("  epochs: 1", "  epochs:1\n  batch_size: 8"), ":11:3: train:",
     "'epochs:1' needs a space after the colon: write 'epochs: 1'"),
    (OK.replace("{units: 3, activation: softmax}", "{units: 3, activation: softmax"),
     ":8:14: model.layers[0].dense:", "the '{' opened here is never closed; add '}'"),
    (OK.replace("input: [4]", "input: [4"), ":6:10: model.input:", "the '[' opened here"),
    (OK.replace("name: t", "name: 't"), ":2:7: name:", "quote ' opened here is never closed"),
])
def test_syntax_errors(cli, write_spec, text, where, words):
    err = refused(cli, write_spec, text, where, words, "invalid YAML")
    assert "(spec)" not in err and "\n" not in err.strip()


def test_a_missing_space_on_the_last_line(cli, write_spec):
    # `epochs:30` as the last line is the text 'epochs:30' (no syntax error): say so
    refused(cli, write_spec, OK.replace("  loss: sparse_categorical_crossentropy\n  epochs: 1",
                                        "  epochs:1"),
            "train: expected a mapping", "put a space after the colon: 'epochs: 1'")
