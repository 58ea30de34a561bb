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

    result = {}
    worker = threading.Thread(target=lambda: result.update(
        r=grade_folder(rubric, subs, tmp_path / "out", jobs=2)), daemon=True)
    worker.start()
    worker.join(timeout=240)
    assert not worker.is_alive(), "grading blocked on a hostile file"
    by = {g.student: g for g in result["r"].graded}
    assert by["fine"].score == 2 and by["also_fine"].score == 2
    assert by["folder_with_pipe"].score == 2  # the FIFO beside it is hashed, never read
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
    with pytest.raises(FileRefused, match="may be at most 4 bytes"):
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
