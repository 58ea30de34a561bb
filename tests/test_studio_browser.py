"""kspec studio in a real headless browser (Debian's chromium over the DevTools pipe,
tests/browser.py): what a student does, step by step, with a screenshot per step.

The page's stable element ids (builder/studio/web/index.html) the test relies on:
  #library .lib-spec[data-name=NAME]   a bundled spec (click: open a copy)
  #files .file[data-path=REL]          Your specs: the folder's own (click: open the file)
  #path                                the open spec's path in the working folder
  #editor .cm-content                  the CodeMirror editor (window.kspecStudio.view)
  #problems li.problem[data-line]      kspec validate's problems; #summary: ok / N error(s)
  #model-svg g.layer[data-layer][data-line]   the server's diagram; #total-params[data-value]
  #layer-info                          the hovered layer's shape, parameters, arithmetic
  .tab[data-tab=train|model|inside]    the side panel's tabs
  #train-epochs #btn-train #btn-stop #train-state[data-state] #curve-svg[data-points]
  #runs .run[data-run][data-state] .run-report; #report-frame (the report's iframe)
  #inside-source (run|spec) #inside-values #btn-inspect #inside-out .inside-layer[data-layer] (img)
window.kspecStudio: {ready, edits, latencies (ms from an edit to its problems shown), view}.

Screenshots go to the test's tmp folder, and to $KSPEC_STUDIO_SHOTS when set.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Tab, blank, chromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPEC = "breast_cancer_mlp"

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium is not installed")


@contextmanager
def studio(folder: Path):
    """`kspec studio FOLDER` as a student starts it; yields a function that waits for the
    URL it prints (so chromium can start meanwhile)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "studio", str(folder)],
                            cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)

    def url() -> str:
        found, seen = None, []
        end = time.monotonic() + 60
        while found is None and time.monotonic() < end:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("http://127.0.0.1:"):
                found = line.strip()
        assert found, "the studio printed no URL:\n" + "".join(seen)
        return found

    def stop() -> float:
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return time.monotonic() - began

    try:
        yield url
    except BaseException:
        stop()
        raise
    # Ctrl-C: the studio says so and exits 0 promptly, Keras loaded (Inside) or not
    took, rest = stop(), proc.stdout.read()
    assert proc.returncode == 0 and "kspec studio stopped" in rest, (proc.returncode, rest)
    assert took < 5, f"the studio took {took:.1f} s to exit after Ctrl-C"


def open_studio(tab: Tab, url: str):
    tab.navigate(url)
    tab.wait("window.kspecStudio && window.kspecStudio.ready === true", 20)


def open_spec(tab: Tab, name: str):
    tab.click(f'.lib-spec[data-name="{name}"]')
    tab.wait(f"document.getElementById('path').textContent === 'studio/{name}.yaml'")
    tab.wait("document.getElementById('total-params').dataset.value")


def place_cursor(tab: Tab, find: str, select: str | None = None) -> int:
    """Put the editor's cursor before the first `find` (or select the text `select`
    inside it), as a click or a double-click would; returns the line (1-based)."""
    part = select or ""
    return tab.js(f"""(() => {{
        const v = kspecStudio.view, d = v.state.doc.toString(), i = d.indexOf({json.dumps(find)});
        if (i < 0) throw new Error('not in the editor: ' + {json.dumps(find)});
        const a = i + {json.dumps(find)}.indexOf({json.dumps(part)});
        v.focus();
        v.dispatch({{selection: {{anchor: a, head: a + {len(part)}}}}});
        return v.state.doc.lineAt(i).number; }})()""")


def hover_text(tab: Tab, find: str):
    """Move the mouse onto the first `find` in the editor."""
    x, y = tab.js(f"""(() => {{ const v = kspecStudio.view;
        const i = v.state.doc.toString().indexOf({json.dumps(find)}) + 1;
        const c = v.coordsAtPos(i); return [c.left + 2, (c.top + c.bottom) / 2]; }})()""")
    tab.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})


def errors_shown(tab: Tab) -> list:
    return tab.js("[...document.querySelectorAll('#problems li.error')].map(e => "
                  "({line: Number(e.dataset.line), text: e.textContent}))")


def settled(tab: Tab) -> str:
    """JS: true once the problems shown are those of the editor's current text."""
    return "document.getElementById('problems').dataset.version == kspecStudio.edits"


def test_student_session_in_the_browser(tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    keep = os.environ.get("KSPEC_STUDIO_SHOTS")

    def shot(tab, name):
        png = tab.screenshot(shots / f"{name}.png")
        assert not blank(png), name
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(shots / f"{name}.png", Path(keep) / f"{name}.png")

    work = tmp_path / "work"
    work.mkdir()
    with studio(work) as started, Tab() as tab:  # chromium starts while the studio does
        url = started()
        # 1. the page, with the token: the library lists the bundled specs by topic
        open_studio(tab, url)
        topics = tab.js("[...document.querySelectorAll('#library .topic')].map(t => t.dataset.topic)")
        assert "mlp" in topics and "cnn" in topics, topics
        assert tab.js(f"!!document.querySelector('.lib-spec[data-name=\"{SPEC}\"]')")
        shot(tab, "01_library")

        # 2. open a copy of a bundled spec: editor text, no problems, the diagram
        open_spec(tab, SPEC)
        assert (work / "studio" / f"{SPEC}.yaml").is_file()
        tab.wait(settled(tab))
        tab.wait("document.getElementById('summary').textContent.startsWith('ok')")
        assert errors_shown(tab) == []
        params_before = int(tab.js("document.getElementById('total-params').dataset.value"))
        assert params_before == 641  # 30-16-8-1: (30+1)*16 + (16+1)*8 + (8+1)*1
        assert tab.js("document.querySelectorAll('#model-svg g.layer').length") >= 4
        shot(tab, "02_opened")

        # 3. the schema helps while typing: completion offers train's keys (with docs),
        # hovering a key shows what it means
        line = place_cursor(tab, "  batch_size:")
        tab.insert_text("  shuf")
        offered = tab.wait("[...document.querySelectorAll('.cm-tooltip-autocomplete li')]"
                           ".map(e => e.textContent).join(' ')", 5)
        assert "shuffle" in offered, offered
        shot(tab, "03_completion")
        tab.key("Escape", "Escape", 27)
        tab.wait("!document.querySelector('.cm-tooltip-autocomplete')", 5)
        # ... a layer's own parameters inside its {...}
        place_cursor(tab, "units: 16, ", select="")
        tab.js("(() => { const v = kspecStudio.view, s = v.state.selection.main;"
               " v.dispatch({selection: {anchor: s.from + 'units: 16, '.length}}); })()")
        tab.insert_text("use_")
        offered = tab.wait("[...document.querySelectorAll('.cm-tooltip-autocomplete li')]"
                           ".map(e => e.textContent).join(' ')", 5)
        assert "use_bias" in offered, offered
        tab.key("Escape", "Escape", 27)
        for _ in range(4):
            tab.key("Backspace", "Backspace", 8)
        assert "{units: 16, activation: relu}" in tab.js("kspecStudio.view.state.doc.toString()")
        tab.js("(() => { const v = kspecStudio.view, i = v.state.doc.toString().indexOf('shuf');"
               " v.dispatch({selection: {anchor: i + 4}}); })()")  # back after "shuf"
        hover_text(tab, "units: 16")
        doc = tab.wait("(document.querySelector('.ks-hover') || {}).textContent", 5)
        assert "number of neurons" in doc, doc
        shot(tab, "03b_hover_docs")

        # 4. ... and a misspelled key: the error at its line, with kspec's suggestion
        tab.js("kspecStudio.view.focus()")
        tab.insert_text("le: true\n")  # "shuf" + "le": shufle
        tab.wait(settled(tab) + " && !!document.querySelector('#problems li.error')")
        assert tab.js("document.getElementById('model').classList.contains('stale')")
        shown = errors_shown(tab)
        assert len(shown) == 1, shown
        assert shown[0]["line"] == line, (shown, line)
        assert "unknown key 'shufle'; did you mean 'shuffle'?" in shown[0]["text"], shown
        # the editor marks the word on that line, and its tooltip says the same
        marked = tab.wait("(() => { const v = kspecStudio.view;"
                          " const m = document.querySelector('.cm-lintRange-error');"
                          " return m && [v.state.doc.lineAt(v.posAtDOM(m)).number, m.textContent]; })()")
        assert marked == [line, "shufle"], marked
        tab.hover(".cm-lintRange-error")
        tip = tab.wait("(document.querySelector('.cm-tooltip-lint') || {}).textContent", 5)
        assert "did you mean 'shuffle'?" in tip, tip
        shot(tab, "04_misspelled_key")

        # 5. fix it: the error goes
        place_cursor(tab, "shufle", select="shufle")
        tab.insert_text("shuffle")
        tab.wait(settled(tab) + " && !document.querySelector('#problems li.error')")
        tab.wait("!document.querySelector('.cm-lintRange-error')")
        assert tab.js("document.getElementById('summary').textContent").startswith("ok")
        # the diagram, greyed while the text had errors, is current again
        tab.wait("!document.getElementById('model').classList.contains('stale')")
        tab.key("Escape", "Escape", 27)  # the completion that typing "shuffle" opened
        shot(tab, "05_fixed")

        # 6. change a layer's units: the diagram's parameter count changes
        place_cursor(tab, "units: 16", select="16")  # the first dense layer
        tab.insert_text("32")
        tab.wait("document.getElementById('total-params').dataset.value != '641'", 10)
        params_after = int(tab.js("document.getElementById('total-params').dataset.value"))
        assert params_after == (30 + 1) * 32 + (32 + 1) * 8 + (8 + 1), params_after
        svg = tab.js("document.getElementById('model-svg').textContent")
        assert "params 992" in svg, svg
        # hover a layer: its arithmetic; click it: the editor jumps to its line
        tab.hover('#model-svg g.layer[data-layer="dense_1"]')
        info = tab.wait("document.getElementById('layer-info').textContent.includes('dense_1')"
                        " && document.getElementById('layer-info').textContent")
        assert "(32 inputs + 1 bias) x 8 units = 264" in info, info
        shot(tab, "06_units_changed")
        tab.click('#model-svg g.layer[data-layer="dense_1"]')
        want = int(tab.js("document.querySelector('#model-svg g.layer[data-layer=\"dense_1\"]').dataset.line"))
        tab.wait(f"kspecStudio.view.state.doc.lineAt(kspecStudio.view.state.selection.main.head).number === {want}")
        assert "units: 8" in tab.js("kspecStudio.view.state.doc.line(%d).text" % want)

        # save, diff against the bundled spec it started from, export with a fingerprint
        tab.click("#btn-save")
        tab.wait("document.getElementById('status').textContent.startsWith('saved')")
        saved = (work / "studio" / f"{SPEC}.yaml").read_text(encoding="utf-8")
        assert saved == tab.js("kspecStudio.view.state.doc.toString()")
        assert "units: 32" in saved and "shuffle: true" in saved
        tab.click("#btn-diff")
        diff = tab.wait("!document.getElementById('output-box').hidden"
                        " && document.getElementById('output').textContent")
        # kspec diff's lines (shuffle: true is the default: no change to the spec)
        assert "model.layers[0].dense.units: 16 -> 32" in diff, diff
        assert "parameters: 641 -> 1,265" in diff, diff
        assert f"+++ studio/{SPEC}.yaml" in diff and str(work) not in diff, diff  # no abs paths
        shot(tab, "06b_diff")
        tab.click("#output-close")
        tab.click("#btn-export")
        title = tab.wait("document.getElementById('output-title').textContent.includes('fingerprint')"
                         " && document.getElementById('output-title').textContent")
        exported = title.split("exported to ")[1].split(" ")[0]
        assert (work / exported).is_file(), title
        tab.click("#output-close")

        # 7. two trainings: a long one (stopped in step 10) and one of 2 epochs, each a
        # `kspec train` process (early stopping off, so the long one trains until stopped)
        place_cursor(tab, "  callbacks:", select="  callbacks:\n    - early_stopping: {patience: 10, monitor: val_loss}\n")
        tab.insert_text("")
        tab.key("Delete", "Delete", 46)
        tab.wait(settled(tab) + " && document.getElementById('summary').textContent.startsWith('ok')")
        assert "early_stopping" not in tab.js("kspecStudio.view.state.doc.toString()")
        tab.click('.tab[data-tab="train"]')
        tab.js("document.getElementById('train-epochs').value = '5000'")
        tab.click("#btn-train")
        tab.wait("document.getElementById('train-run').textContent === 'r1'")
        tab.js("document.getElementById('train-epochs').value = '2'")
        tab.click("#btn-train")
        tab.wait("document.getElementById('train-run').textContent === 'r2'")

        # 8. while they start: Inside, on specs with hand-set weights (the studio's process
        # loads Keras once, on first use, as the two `kspec train` load TensorFlow; the Train
        # panel keeps following the 2-epoch run): L07's forward pass by hand, typed input
        # 0 1 2 3 -> the output sigmoid(-1) = 0.26894
        open_spec(tab, "hand_forward_pass")
        tab.click('.tab[data-tab="inside"]')
        tab.js("document.getElementById('inside-source').value = 'spec'")
        tab.js("document.getElementById('inside-values').value = '[0, 1, 2, 3]'")
        tab.click("#btn-inspect")
        cards = tab.wait("document.querySelectorAll('#inside-out .inside-layer').length >= 4 && "
                         "[...document.querySelectorAll('#inside-out .inside-layer')]"
                         ".map(c => c.textContent)", 90)
        # the input's card, then each layer's: relu(2, 10, 6), relu(-6, -8), sigmoid(-1)
        assert "[0,1,2,3]" in cards[0] and "[2,10,6]" in cards[1], cards
        assert "[0,0]" in cards[2] and "[0.268941]" in cards[3], cards
        shot(tab, "08_inside_values")
        # ... and a convolution's feature map for its typed 6x6 image (L16's edge detector);
        # opening it keeps an edit made here (saved first), and Your specs lists the copies
        place_cursor(tab, "seed: 0")
        tab.insert_text("# by hand\n")
        open_spec(tab, "fixed_kernel_conv")
        assert "# by hand\nseed: 0" in (work / "studio" / "hand_forward_pass.yaml").read_text()
        mine = tab.wait("document.querySelectorAll('#files .file').length >= 3 && "
                        "[...document.querySelectorAll('#files .file')].map(b => b.dataset.path)")
        assert {f"studio/{SPEC}.yaml", "studio/hand_forward_pass.yaml",
                "studio/fixed_kernel_conv.yaml"} <= set(mine), mine
        image = [[10, 10, 10, 0, 0, 0]] * 6
        tab.js(f"document.getElementById('inside-values').value = {json.dumps(json.dumps(image))}")
        tab.click("#btn-inspect")
        tab.wait("!!document.querySelector('#inside-out .inside-layer[data-layer=\"kernel\"] img')"
                 " && document.querySelector('#inside-out .inside-layer[data-layer=\"kernel\"] img')"
                 ".naturalWidth > 0", 30)
        kernel = tab.js("document.querySelector('#inside-out .inside-layer[data-layer=\"kernel\"]').textContent")
        assert "shape [4, 4, 1]" in kernel and "30" in kernel, kernel
        shot(tab, "08b_inside_feature_map")

        # 9. the 2-epoch run: the curve gains points as epochs end, then the metrics
        tab.click('.tab[data-tab="train"]')
        tab.wait("Number(document.getElementById('curve-svg').dataset.points)", 90)
        tab.wait("document.getElementById('train-state').dataset.state === 'done'", 30)
        # drawn once per epoch event: 1 point, then 2
        assert tab.js("document.getElementById('curve').dataset.drawn") == "1,2"
        assert int(tab.js("document.getElementById('curve-svg').dataset.points")) == 2
        assert tab.js("document.querySelectorAll('#curve-svg polyline').length") >= 2  # loss, val_loss
        assert tab.js("document.querySelectorAll('#metrics .metric').length") >= 1
        done = [p for p in (work / "runs").iterdir() if (p / "metrics.json").is_file()]
        assert len(done) == 1, list((work / "runs").iterdir())
        shot(tab, "09_trained")

        # 10. follow the long run and stop it: it stops cleanly, keeping its last epoch
        tab.wait("!!document.querySelector('.run[data-run=\"r1\"] .run-follow')")
        tab.click('.run[data-run="r1"] .run-follow')
        tab.wait("document.getElementById('train-run').textContent === 'r1'")
        tab.wait("Number(document.getElementById('curve-svg').dataset.points) >= 1", 60)
        # live: epochs on the curve while the run still trains
        assert tab.js("document.getElementById('train-state').dataset.state") == "running"
        tab.click("#btn-stop")
        tab.wait("document.getElementById('train-state').dataset.state === 'stopped'", 60)  # TF's teardown: slow under load
        assert [p.name for p in (work / "runs").iterdir() if p.name.endswith(".partial")]
        tab.wait("document.querySelector('.run[data-run=\"r1\"]').dataset.state === 'stopped'")
        shot(tab, "10_stopped")

        # 11. the finished run's report, in the page
        tab.click('.run[data-run="r2"] .run-report')
        tab.wait("!document.getElementById('report-box').hidden")
        src = tab.js("document.getElementById('report-frame').src")
        assert "/api/runs/r2/report" in src, src
        html = tab.js(f"fetch({json.dumps(src)}).then(r => r.status + ' ' + r.headers.get('content-type'))")
        assert html.startswith("200 text/html"), html
        report = tab.js(f"fetch({json.dumps(src)}).then(r => r.text())")
        assert SPEC in report and ("<svg" in report or "<img" in report), report[:300]
        time.sleep(1.0)  # the frame paints
        shot(tab, "11_report")

        # edit -> problems shown, as the page measured it for this session's keystrokes
        # (benchmarks/studio_latency.md has the figure; this only catches a broken debounce)
        latencies = sorted(tab.js("kspecStudio.latencies"))
        assert len(latencies) >= 5 and latencies[len(latencies) // 2] < 500, latencies
        assert not tab.errors(), tab.errors()
        # offline: the page asked only its own server (no CDN, no web fonts)
        origin = url.split("/?")[0]
        foreign = [u for u in tab.requests() if not u.startswith((origin + "/", "data:", "about:"))]
        assert not foreign, foreign
        assert any(u.startswith(origin + "/static/studio.js") for u in tab.requests())
