"""Seeing inside a model, as a student does it: kspec inspect on the lectures' hand
computations (L07's forward pass, L16's kernel on the 6x6 image), kspec apply on an
image at its own size, the activation grid, the model diagram of every bundled spec
(without TensorFlow), and the early-stopping line of kspec train."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from builder.spec.library import bundled, specs_dir

ROOT = Path(__file__).resolve().parent.parent
SLIDE = specs_dir() / "data" / "edge_6x6.csv"  # not the slide's own image: made to give its first row
VERTICAL_EDGE = np.array([[1, 0, -1]] * 3, dtype="float64")


def correlate(image, kernel):
    """What a Conv2D computes (no padding, stride 1), written out by hand."""
    h, w = kernel.shape
    return np.array([[float((image[i:i + h, j:j + w] * kernel).sum())
                      for j in range(image.shape[1] - w + 1)]
                     for i in range(image.shape[0] - h + 1)])


def words(text):
    return " ".join(text.split())


# ---- inspect -------------------------------------------------------------------------

def test_inspect_shows_the_hand_computed_forward_pass_of_lecture_7(cli):
    result = cli("inspect", "hand_forward_pass", "--input", "0,1,2,3")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "as the spec sets its weights (not trained)" in out
    # layer 1: relu(2, 10, 6); layer 2: relu(-6, -8) = 0, 0; output sigmoid(-1) = 0.2689
    assert re.search(r"dense \(dense, relu\) -> \(3\)\n  before relu: 2 10 6\n  after relu:  2 10 6", out)
    assert re.search(r"dense_1 \(dense, relu\) -> \(2\)\n  before relu: -6 -8\n  after relu:  0 0", out)
    assert re.search(r"dense_2 \(dense, sigmoid\) -> \(1\)\n  before sigmoid: -1\n"
                     r"  after sigmoid:  0.2689", out)


def test_inspect_shows_one_layer_and_its_weights(cli):
    result = cli("inspect", "hand_forward_pass", "--input", "[0, 1, 2, 3]", "--layer",
                 "dense_1", "--weights")
    assert result.exit_code == 0, result.output
    assert "dense_2" not in result.output and "dense (dense" not in result.output
    assert "weight kernel (3, 2):" in result.output
    assert words("-2 1 1 -1 -2 0") in words(result.output)


def test_inspect_of_the_lecture_16_kernel_on_the_slides_image(cli, tmp_path):
    out_dir = tmp_path / "l16"
    result = cli("inspect", "fixed_kernel_conv", "--input", SLIDE, "--out", out_dir)
    assert result.exit_code == 0, result.output
    expected = correlate(np.loadtxt(SLIDE, delimiter=","), VERTICAL_EDGE)
    assert list(expected[0]) == [2, 7, 4, -7]  # the slide's first row
    table = "\n".join("  " + " ".join(f"{int(v):>2}" for v in row) for row in expected)
    assert f"kernel (conv2d) -> (4, 4, 1)\n{table}\n" in result.output
    written = np.loadtxt(out_dir / "kernel.csv", delimiter=",")
    np.testing.assert_array_equal(written, expected)
    np.testing.assert_array_equal(np.load(out_dir / "kernel.npy")[..., 0], expected)
    from PIL import Image
    with Image.open(out_dir / "kernel.png") as picture:
        assert picture.size[0] > 100 and picture.size[1] > 100
    assert (out_dir / "input.png").is_file()


@pytest.mark.parametrize("args, message", [
    (["--input", "1,2,3"], "has shape [3] but the model takes [4]"),
    (["--input", "0,1,2,3", "--layer", "dens"], "no layer 'dens'; did you mean"),
    (["--input", "nothing.csv"], "nothing.csv does not exist"),
])
def test_inspect_mistakes_are_one_line(cli, args, message):
    result = cli("inspect", "hand_forward_pass", *args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_inspect_opens_one_network_of_a_gan_run(cli, tmp_path):
    """A GAN run holds two networks: --role picks one, loaded from its .keras file in
    safe mode. The discriminator takes a digit (the saved scaling to -1..1 is applied);
    the generator takes 32 noise values, used as given."""
    import keras
    run = tmp_path / "gan"
    trained = cli("train", "digits_gan", "--epochs", 1, "--out", run, "-q")
    assert trained.exit_code == 0, trained.output
    refused = cli("inspect", run, "--input", "0,1")
    lines = refused.stderr.strip().splitlines()
    assert refused.exit_code == 1 and len(lines) == 1
    assert "holds several networks (discriminator, generator); choose one with --role" in lines[0]
    wrong = cli("inspect", run, "--role", "generater", "--input", "0,1")
    assert wrong.exit_code == 1 and "did you mean 'generator'" in wrong.stderr

    from sklearn.datasets import load_digits
    digit = load_digits().data[0]  # pixels 0..16, as the source gives them
    result = cli("inspect", run, "--role", "discriminator", "--input",
                 ",".join(f"{v:g}" for v in digit), "--weights")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("digits_gan (discriminator): the trained discriminator of")
    assert "saved preprocessing is applied" in out
    assert "input (64): -1 -1 -0.375 0.625 " in out  # pixels 0 0 5 13 -> (p - 8) / 8
    disc = keras.models.load_model(run / "discriminator.keras", safe_mode=True)
    logit = float(disc.predict(((digit - 8) / 8)[None].astype("float32"), verbose=0)[0, 0])
    last = re.search(r"dense_\d+ \(dense\) -> \(1\)\n  (-?[\d.]+)", out)
    assert last and abs(float(last.group(1)) - logit) < 1e-3, (out[-400:], logit)
    assert "weight kernel (128, 1):" in out

    z = np.random.default_rng(0).normal(size=32)
    gen = cli("inspect", run, "--role", "generator", "--input", ",".join(f"{v:.4f}" for v in z),
              "--out", tmp_path / "g")
    assert gen.exit_code == 0, gen.output
    assert "it takes a code or noise, not an example: the input is used as given" in gen.output
    generator = keras.models.load_model(run / "generator.keras", safe_mode=True)
    want = generator.predict(np.round(z, 4)[None].astype("float32"), verbose=0)[0]
    files = sorted((tmp_path / "g").glob("dense_*.npy"), key=lambda f: int(f.stem.split("_")[1]))
    np.testing.assert_allclose(np.load(files[-1]), want, atol=1e-5)
    assert len(np.load(tmp_path / "g" / "input.npy")) == 32
    assert cli("inspect", run, "--role", "generator", "--input", "1,2").exit_code == 1


# ---- apply ---------------------------------------------------------------------------

def test_apply_keeps_the_images_own_size(cli, tmp_path):
    from PIL import Image
    image = np.zeros((20, 30), dtype="uint8")
    image[:, :12] = 200
    image[5:15, 18:24] = 120
    Image.fromarray(image).save(tmp_path / "edge.png")
    result = cli("apply", "fixed_kernel_conv", tmp_path / "edge.png", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "kernel -> 18x28" in result.output
    got = np.loadtxt(tmp_path / "out" / "output.csv", delimiter=",")
    np.testing.assert_allclose(got, correlate(image.astype("float64"), VERTICAL_EDGE))
    assert (tmp_path / "out" / "apply.png").is_file()
    assert np.loadtxt(tmp_path / "out" / "input.csv", delimiter=",").shape == (20, 30)


def test_apply_refuses_another_size_in_one_line_when_weights_depend_on_it(cli, tmp_path):
    from PIL import Image
    Image.fromarray(np.zeros((20, 30), dtype="uint8")).save(tmp_path / "small.png")
    result = cli("apply", "lenet5", tmp_path / "small.png")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is 20x30 but lenet5 takes 28x28 images" in lines[0]


def test_feature_maps_are_drawn_in_a_readable_grid(tmp_path):
    """16 channels are 4 rows of 4 (not one row of 16 tiny ones); an input and its 16
    maps 4 rows of 5; a picture stays about a screen wide."""
    from PIL import Image
    from builder.see.pictures import grid_shape, save_maps
    assert [grid_shape(n) for n in (1, 2, 4, 5, 9, 16, 17)] == [
        (1, 1), (1, 2), (1, 4), (2, 3), (3, 3), (4, 4), (4, 5)]
    maps = [np.random.default_rng(c).normal(size=(26, 26)) for c in range(16)]
    save_maps(maps, [f"channel {c + 1}" for c in range(16)], tmp_path / "maps.png", "conv1")
    w, h = Image.open(tmp_path / "maps.png").size
    assert 0.7 < w / h < 1.5 and w <= 2000, (w, h)  # a grid, not a strip


# ---- plot ----------------------------------------------------------------------------

def test_activation_curves_and_derivatives_are_keras_own():
    from builder.see.activations import curves
    got = curves(["relu", "sigmoid", "leaky_relu"], derivatives=True)
    x, y, dy = got["sigmoid"]
    middle = int(np.argmin(np.abs(x)))
    assert abs(y[middle] - 0.5) < 1e-6 and abs(dy[middle] - 0.25) < 1e-4
    x, y, dy = got["relu"]
    assert dy[x > 0.1].min() == 1 and dy[x < -0.1].max() == 0
    x, y, dy = got["leaky_relu"]  # Keras' default slope 0.2 for x < 0
    assert abs(dy[0] - 0.2) < 1e-6


def test_plot_activations_draws_the_grid(cli, tmp_path):
    from builder.catalog.activations import ACTIVATIONS
    result = cli("plot", "activations", "--derivatives", "--out", tmp_path / "a.png")
    assert result.exit_code == 0, result.output
    assert f"({len(ACTIVATIONS.names())} activations)" in result.output
    assert (tmp_path / "a.png").stat().st_size > 50_000
    bad = cli("plot", "activations", "relu", "sigmoyd", "--out", tmp_path / "b.png")
    assert bad.exit_code == 1 and "did you mean 'sigmoid'" in bad.stderr


def test_plot_model_draws_every_bundled_spec_without_tensorflow(tmp_path):
    """SVG for every bundled spec and PNG for a few, in a process where TensorFlow and
    Keras never load; each SVG is well-formed with a box per planned node."""
    code = f"""
import sys, xml.etree.ElementTree as ET
from pathlib import Path
from builder.spec.library import bundled
from builder.spec.load import load_spec
from builder.spec.check import plan_networks
from builder.core.problems import Report
from builder.see.diagram import plot_model
out = Path({str(tmp_path)!r})
for name in bundled():
    loaded = load_spec(name)
    svg = plot_model(loaded, out / f"{{name}}.svg")
    root = ET.parse(svg).getroot()
    boxes = [r for r in root.iter("{{http://www.w3.org/2000/svg}}rect") if r.get("rx") == "6"]
    plans = plan_networks(loaded.spec, Report())
    want = sum(len(p.nodes) + len(p.inputs) for p in plans.values())
    assert len(boxes) == want, (name, len(boxes), want)
for name in ("digits_resnet", "digits_vae", "shakespeare_gpt"):
    plot_model(load_spec(name), out / f"{{name}}.png")
bad = [m for m in ("tensorflow", "keras") if m in sys.modules]
assert not bad, bad
print("drew", len(bundled()))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=str(ROOT))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == f"drew {len(bundled())}"
    resnet = (tmp_path / "digits_resnet.svg").read_text()
    for label in ("repeat 1/3", "repeat 3/3", "residual", "add (+ shortcut)", "params 2,320"):
        assert label in resnet
    vae = (tmp_path / "digits_vae.svg").read_text()
    assert "encoder" in vae and "decoder" in vae and "z_log_var: dense" in vae
    for name in ("digits_resnet", "digits_vae", "shakespeare_gpt"):
        assert (tmp_path / f"{name}.png").stat().st_size > 5_000


def test_plot_model_cli(cli, tmp_path):
    result = cli("plot", "model", "hand_forward_pass", "--out", tmp_path / "m.svg")
    assert result.exit_code == 0, result.output
    root = ET.parse(tmp_path / "m.svg").getroot()
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "params 15 (frozen)" in text and "dense_2, sigmoid" in text
    bad = cli("plot", "model", "hand_forward_pass", "--out", tmp_path / "m.gif")
    assert bad.exit_code == 1 and "write the diagram as .svg or .png" in bad.stderr


# ---- early stopping says which epoch's weights it kept ---------------------------------

def test_early_stopping_names_the_restored_epoch(cli, write_spec, tmp_path):
    spec = write_spec("""
        kspec: 1
        name: stops
        seed: 3
        data:
          source: {synthetic: {type: classification, n: 120, shape: [4], classes: 2}}
        model:
          input: [4]
          layers:
            - dense: {units: 16, activation: relu}
            - dense: {units: 1, activation: sigmoid}
        train:
          loss: binary_crossentropy
          optimizer: {adam: {learning_rate: 0.3}}
          metrics: [accuracy]
          epochs: 40
          batch_size: 8
          callbacks: [{early_stopping: {patience: 2}}]
    """)
    result = cli("train", spec, "--out", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    history = np.genfromtxt(tmp_path / "run" / "history.csv", delimiter=",", names=True)
    best = int(np.argmin(history["val_loss"])) + 1
    ran = len(history)
    assert ran < 40, "the test needs a run that stops early"
    assert (f"early stopping: stopped after epoch {ran} of 40; weights restored from "
            f"epoch {best} (best val_loss {history['val_loss'][best - 1]:.4f})") in result.output
    facts = json.loads((tmp_path / "run" / "evaluation.json").read_text())
    assert facts["best_epoch"]["epoch"] == best and facts["best_epoch"]["restored"]
    page = (tmp_path / "run" / "report.html").read_text()
    assert f"restored by early stopping: epoch {best} of {ran}" in page


# ---- compare -------------------------------------------------------------------------

def test_compare_two_runs_shows_both_curves_metrics_and_the_changed_field(cli, write_spec,
                                                                           tmp_path):
    spec = write_spec("""
        kspec: 1
        name: pair
        seed: 1
        data:
          source: {synthetic: {type: classification, n: 80, shape: [3], classes: 3}}
        model:
          input: [3]
          layers: [{dense: {units: 3, activation: softmax}}]
        train:
          loss: sparse_categorical_crossentropy
          optimizer: {sgd: {learning_rate: 0.01}}
          metrics: [accuracy]
          epochs: 3
          batch_size: 16
    """)
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli("train", spec, "--out", a, "-q").exit_code == 0
    assert cli("train", spec, "--out", b, "-q", "--set",
               "train.optimizer.sgd.learning_rate=0.5").exit_code == 0
    result = cli("compare", a, b, "--out", tmp_path / "c.html")
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"A = {a}" in out and f"B = {b}" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["train.optimizer.sgd.learning_rate"] == ["0.01", "0.5"]
    test_a = json.loads((a / "metrics.json").read_text())["test"]["accuracy"]
    test_b = json.loads((b / "metrics.json").read_text())["test"]["accuracy"]
    assert rows["accuracy"] == ["(test)", f"{test_a:.4f}".rstrip("0").rstrip("."),
                                f"{test_b:.4f}".rstrip("0").rstrip(".")]
    page = (tmp_path / "c.html").read_text()
    for section in ("runs", "curves", "metrics", "differences"):
        assert f'<section id="{section}">' in page
    assert "A training" not in page  # the legend is inside the picture, not the page
    png = cli("compare", a, b, "--out", tmp_path / "c.png")
    assert png.exit_code == 0 and (tmp_path / "c.png").stat().st_size > 10_000
    alone = cli("compare", a)
    assert alone.exit_code == 1 and "needs two or more run folders" in alone.stderr


# ---- the slow moment: TensorFlow loading ------------------------------------------------

class _Terminal:
    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_a_line_shows_while_tensorflow_loads_on_a_terminal_only():
    from builder.core.keras_env import loading_line
    term = _Terminal(True)
    with loading_line(term):
        assert term.text == "loading TensorFlow ..."
    assert term.text.endswith("\r") and term.text.count("\r") == 2  # erased when loaded
    piped = _Terminal(False)
    with loading_line(piped):
        pass
    assert piped.text == ""  # logs, tests and graders get no progress noise


# ---- feedback.html beside feedback.md ---------------------------------------------------

def test_feedback_page_shows_what_feedback_md_shows_and_nothing_hidden(tmp_path):
    from builder.grade.outcome import Outcome
    from builder.grade.reports import Graded, feedback_md
    from builder.see.feedback import write_feedback_page
    outcomes = [
        Outcome("Valid spec", "valid", 2, 2, ["passed: the spec is valid"]),
        Outcome("Test accuracy", "trained", 4, 1.5, ["test accuracy 0.81 <b>"],
                ["expected: full credit at 0.95"], "Train for longer.", "visible", False),
        Outcome("Secret check", "layers", 1, 0, ["failed: no dropout"], [], "",
                "hidden", False),
    ]
    g = Graded("bob", "graded", "", outcomes)
    (tmp_path / "feedback.md").write_text(feedback_md(g, "digits"), encoding="utf-8")
    page = write_feedback_page(tmp_path).read_text(encoding="utf-8")
    assert "<h1>Feedback: digits</h1>" in page
    assert '<h2 class="passed">Valid spec: 2 / 2 (passed)</h2>' in page
    assert '<h2 class="partial">Test accuracy: 1.5 / 4 (partial credit)</h2>' in page
    assert "<li>test accuracy 0.81 &lt;b&gt;</li>" in page  # the student's text, escaped
    assert "<blockquote>Hint: Train for longer.</blockquote>" in page
    for secret in ("Secret check", "no dropout", "full credit at 0.95"):
        assert secret not in page  # hidden in feedback.md, hidden here
    assert "1 more check(s), worth 1 point(s), are not shown here." in page
    assert "http" not in page.replace("http-equiv", "")  # nothing to fetch
