"""Files are data, never a way in: hostile files around a spec (a /dev/zero link, a
FIFO, a formula as a file name, links out of their folder, archive and image bombs,
malformed run folders) are refused in one line and never stop a batch."""
from __future__ import annotations

import csv
import os
import threading

import pytest

from builder.core.csv_out import FORMULA_START, csv_text, safe_cell
from builder.core.files import FileRefused, read_user_file, read_user_text
from builder.grade.folder import grade_folder
from test_grade_limits import RUBRIC, spec, write

FORMULA_NAME = '=HYPERLINK("http:\\\\evil.example","open")'


def live_formulas(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return [c for row in csv.reader(fh) for c in row
                if c.startswith(FORMULA_START) and safe_cell(c) != c]


def test_a_batch_with_a_dev_zero_link_a_fifo_and_a_formula_name_grades_to_the_end(tmp_path):
    rubric = write(tmp_path, "rubric.yaml", RUBRIC.format(time=30, memory=2048, extra=""))
    subs = tmp_path / "subs"
    write(subs, "fine.yaml", spec("fine"))
    write(subs, "also_fine.yaml", spec("also_fine"))
    (subs / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(subs / "pipe.yaml")
    write(subs, f"{FORMULA_NAME}.yaml", spec("formula"))
    folder = subs / "folder_with_pipe"  # a FIFO inside a folder submission, beside a spec
    write(folder, "submission.yaml", spec("folder_with_pipe"))
    os.mkfifo(folder / "notes.txt")
    (folder / "weights.bin").symlink_to("/dev/zero")

    result = {}
    worker = threading.Thread(target=lambda: result.update(
        r=grade_folder(rubric, subs, tmp_path / "out", jobs=2)), daemon=True)
    worker.start()
    worker.join(timeout=240)
    assert not worker.is_alive(), "grading blocked on a hostile file"
    by = {g.student: g for g in result["r"].graded}
    assert by["fine"].score == 2 and by["also_fine"].score == 2
    assert by["folder_with_pipe"].score == 2  # the FIFO and link beside it: hashed, never read
    for student, words in (("zero", "is a link to a file outside the submissions folder"),
                           ("pipe", "is a FIFO (named pipe), not a regular file")):
        assert by[student].score == 0 and words in by[student].note, by[student].note
    # the formula-named file is just a student id: graded, and written as text
    assert by[FORMULA_NAME].score == 2
    out = tmp_path / "out"
    for name in ("grades.csv", "similarity.csv"):
        assert live_formulas(out / name) == [], name
    text = (out / "grades.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and len(text.splitlines()) == 1 + 6
    # resume: nothing changed, nothing regraded (the digest saw the same hostile files)
    again = grade_folder(rubric, subs, out, jobs=2)
    assert again.new == 0 and again.skipped == 6


def test_the_file_reader_refuses_devices_fifos_folders_links_out_and_big_files(tmp_path):
    (tmp_path / "in").mkdir()
    ok = tmp_path / "in" / "ok.yaml"
    ok.write_text("a: 1\n")
    os.mkfifo(tmp_path / "in" / "fifo")
    (tmp_path / "in" / "zero").symlink_to("/dev/zero")
    (tmp_path / "secret").write_text("x")
    (tmp_path / "in" / "out").symlink_to(tmp_path / "secret")
    (tmp_path / "in" / "dangling").symlink_to(tmp_path / "nothing")
    root = tmp_path / "in"
    assert read_user_text(ok, 100, "spec", root) == "a: 1\n"
    for name, words in (("fifo", "FIFO"), ("zero", "outside in/"), ("out", "outside in/"),
                        ("dangling", "outside in/"), ("missing", "does not exist")):
        with pytest.raises(FileRefused, match=words):
            read_user_file(root / name, 100, "spec", root)
    for name, words in (("zero", "is a device"), ("fifo", "FIFO"), ("dangling", "to nothing")):
        with pytest.raises(FileRefused, match=words):  # no root: the kind still counts
            read_user_file(root / name, 100, "spec")
    with pytest.raises(FileRefused, match="is a folder"):
        read_user_file(root, 100, "spec")
    with pytest.raises(FileRefused, match="over the limit of 4 bytes"):
        read_user_file(ok, 4, "spec", root)
    (tmp_path / "in" / "bad.yaml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(FileRefused, match="not UTF-8"):
        read_user_text(root / "bad.yaml", 100, "spec", root)


def test_every_csv_cell_that_a_spreadsheet_would_run_is_written_as_text():
    rows = [["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "-0.5", "+1e-05", -3.0, "plain"]]
    parsed = list(csv.reader(csv_text(["=h", "b"], rows).splitlines()))
    assert parsed[0] == ["'=h", "b"]
    assert parsed[1] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "-0.5", "+1e-05",
                         "-3.0", "plain"]


def test_csv_is_written_by_the_one_writer_only():
    """Every CSV kspec writes goes through core/csv_out.py (which neutralises formulas)."""
    from pathlib import Path
    import builder
    root = Path(builder.__file__).parent
    writers = [str(p.relative_to(root)) for p in root.rglob("*.py")
               if "csv.writer(" in p.read_text(encoding="utf-8")
               or "DictWriter(" in p.read_text(encoding="utf-8")]
    assert writers == ["core/csv_out.py"]


# ---- kspec predict / evaluate / import on hostile or broken inputs -------------------

@pytest.fixture(scope="module")
def cancer_run(tmp_path_factory):
    from builder.tasks.supervised.trainer import train
    from builder.spec.load import load_spec
    out = tmp_path_factory.mktemp("runs") / "cancer"
    train(load_spec("breast_cancer_mlp"), out=out, epochs=1, verbose=0)
    return out


def one_line_error(result, *words):
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    for w in words:
        assert w in line, line
    return line


def cancer_csv(path, value="1", header=None):
    import sklearn.datasets
    names = list(header or sklearn.datasets.load_breast_cancer().feature_names)
    rows = [[value] + ["1"] * (len(names) - 1), ["2"] * len(names)]
    path.write_text("\n".join(",".join(r) for r in [names] + rows) + "\n")
    return path


def test_predict_refuses_inputs_that_are_not_finite_numbers(cancer_run, tmp_path, cli):
    import numpy as np
    for value in ("1e309", "inf", "-inf"):
        one_line_error(cli("predict", cancer_run, "--input", cancer_csv(tmp_path / "x.csv", value)),
                       "1 example(s) hold values that are not finite numbers", "line 2")
    # in a CSV, `nan` is a missing value (the run says how those are handled)
    one_line_error(cli("predict", cancer_run, "--input", cancer_csv(tmp_path / "x.csv", "nan")),
                   "has missing values: 'mean radius' at line 2")
    np.save(tmp_path / "nan.npy", np.array([[np.nan] * 30, [1.0] * 30]))
    one_line_error(cli("predict", cancer_run, "--input", tmp_path / "nan.npy"),
                   "1 example(s) hold values that are not finite numbers", "index 0")
    np.save(tmp_path / "big.npy", np.full((2, 30), 1e308))  # finite, but not once standardised
    one_line_error(cli("predict", cancer_run, "--input", tmp_path / "big.npy"),
                   "after the run's preprocessing")


def test_predict_refuses_a_duplicated_column_an_empty_array_and_strings(cancer_run, tmp_path,
                                                                        cli):
    import numpy as np
    import sklearn.datasets
    names = list(sklearn.datasets.load_breast_cancer().feature_names)
    dup = cancer_csv(tmp_path / "dup.csv", header=names[:-1] + [names[0]])
    one_line_error(cli("predict", cancer_run, "--input", dup),
                   f"names column '{names[0]}' more than once (columns 1, 30)")
    np.save(tmp_path / "empty.npy", np.zeros((0, 30)))
    one_line_error(cli("predict", cancer_run, "--input", tmp_path / "empty.npy"), "no examples")
    np.save(tmp_path / "words.npy", np.array([["a"] * 30] * 2))
    one_line_error(cli("predict", cancer_run, "--input", tmp_path / "words.npy"),
                   "holds <U1 values (text); the model takes numbers")


def test_archives_and_images_are_checked_for_their_expanded_size_first(cancer_run, tmp_path,
                                                                       cli):
    import struct
    import zipfile
    import zlib

    import numpy as np
    # an .npz of a few bytes whose header says 2 GiB of float64
    npy = tmp_path / "x.npy"
    with open(npy, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "<f8", "fortran_order": False, "shape": (1 << 28,)})
        fh.write(b"\0" * 64)
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as z:
        z.write(npy, "x.npy")
    for name in ("bomb.npz", "x.npy"):
        one_line_error(cli("predict", cancer_run, "--input", tmp_path / name),
                       "holds arrays of 2 GiB once expanded")

    # a 30,000 x 30,000 PNG: its header alone is read, nothing decoded
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0,
                                                              0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
    (tmp_path / "bomb.png").write_bytes(png)
    from builder.data.errors import DataLoadError
    from builder.data.inputs import read_images
    with pytest.raises(DataLoadError, match="is an image of 900000000 pixels; kspec reads "
                                            "images of at most 64 megapixels"):
        read_images(tmp_path / "bomb.png", (28, 28))
    # one over kspec's limit but under Pillow's: refused from its header by kspec
    png = png.replace(chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)),
                      chunk(b"IHDR", struct.pack(">IIBBBBB", 9000, 8000, 8, 0, 0, 0, 0)))
    (tmp_path / "big.png").write_bytes(png)
    with pytest.raises(DataLoadError, match="is 9000 x 8000 pixels; kspec reads images of at "
                                            "most 64 megapixels"):
        read_images(tmp_path / "big.png", (28, 28))


def test_an_image_of_another_size_is_refused_unless_resize(tmp_path, cli):
    from PIL import Image

    from builder.data.errors import DataLoadError
    from builder.data.inputs import read_images
    Image.new("RGB", (40, 30), "white").save(tmp_path / "wide.png")
    with pytest.raises(DataLoadError, match=r"is 40 x 30 pixels but the model takes 10 x 10 "
                                            r"images .*pass --resize"):
        read_images(tmp_path / "wide.png", (10, 10, 3))
    x, _ = read_images(tmp_path / "wide.png", (10, 10, 3), resize=True)
    assert x.shape == (1, 10, 10, 3)
    assert "--resize" in cli("predict", "--help").stdout


def copy_run(run, tmp_path, name="run"):
    import shutil
    target = tmp_path / name
    shutil.copytree(run, target)
    return target


@pytest.mark.parametrize("content, words", [
    ("[]", "holds a list, not the mapping kspec wrote"),
    ('{"format": 1, "source": {"sklearn": {"name": "breast_cancer"}}, "steps": '
     '["standardize"], "states": "x"}', "is damaged (steps and states must be lists"),
    ('{"format": 1, "source": {"sklearn": {"name": "breast_cancer"}}, "stages": []}',
     "is damaged"),
    ('{"format": 1, "source": {"sklearn": {"name": "breast_cancer"}}, "steps": '
     '["standardize"], "states": [{"scale": 1}]}', "a saved preprocessing state is damaged"),
    ("{not json", "cannot read"),
])
def test_a_malformed_preprocess_json_is_one_line(cancer_run, tmp_path, cli, content, words):
    run = copy_run(cancer_run, tmp_path)
    (run / "preprocess.json").write_text(content)
    one_line_error(cli("predict", run, "--input", cancer_csv(tmp_path / "x.csv")), words)


def test_a_run_spec_that_extends_elsewhere_is_not_followed(cancer_run, tmp_path, cli):
    run = copy_run(cancer_run, tmp_path)
    (tmp_path / "elsewhere.yaml").write_text("name: secret\n")
    (run / "spec.yaml").write_text(f"extends: {tmp_path / 'elsewhere.yaml'}\nname: x\n")
    one_line_error(cli("evaluate", run), "a run's spec.yaml is the resolved spec and extends "
                                         "nothing")
    (run / "spec.yaml").unlink()
    (run / "spec.yaml").symlink_to("/dev/zero")
    one_line_error(cli("evaluate", run), "is a link to a file outside")


def hostile_models(folder):
    """A .keras file with a Lambda layer and one whose config names os.system."""
    import json
    import zipfile

    from builder.core.keras_env import keras
    k = keras()
    k.Sequential([k.Input((30,)), k.layers.Lambda(lambda x: x * 2),
                  k.layers.Dense(1)]).save(folder / "lambda.keras")
    k.Sequential([k.Input((30,)), k.layers.Dense(1, activation="relu")]).save(folder / "ok.keras")
    with zipfile.ZipFile(folder / "ok.keras") as z:
        files = {n: z.read(n) for n in z.namelist()}
    config = json.loads(files["config.json"])
    config["config"]["layers"][-1]["config"]["activation"] = {
        "module": "os", "class_name": "function", "config": "system",
        "registered_name": "function"}
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(folder / "system.keras", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return folder / "lambda.keras", folder / "system.keras"


def test_a_model_refused_by_safe_mode_is_one_line_in_predict_and_import(cancer_run, tmp_path,
                                                                        cli):
    lam, system = hostile_models(tmp_path)
    for model, words in ((lam, "it holds a Lambda layer (Python code)"),
                         (system, "it names the function os.system, which is not a registered "
                                  "Keras object")):
        run = copy_run(cancer_run, tmp_path, model.stem)
        (run / "model.keras").write_bytes(model.read_bytes())
        one_line_error(cli("predict", run, "--input", cancer_csv(tmp_path / "x.csv")),
                       "cannot load", "safe mode", words)
        line = one_line_error(cli("import", model, "-o", tmp_path / "out.yaml"), words)
        assert "config=" not in line and len(line) < 300
