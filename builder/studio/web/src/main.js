// kspec studio's page: plain DOM around one CodeMirror editor. Every answer comes
// from the studio server (kspec's own validator, planner, trainer); the page only
// shows it. Element ids are stable: tests/test_studio_browser.py drives them.

import {EditorView, basicSetup} from "codemirror";
import {EditorSelection} from "@codemirror/state";
import {hoverTooltip, keymap} from "@codemirror/view";
import {yaml, yamlLanguage} from "@codemirror/lang-yaml";
import {lintGutter, setDiagnostics} from "@codemirror/lint";
import {api, withToken} from "./api.js";
import {Schema, completionSource, hoverSource} from "./schema.js";
import {Curve} from "./curve.js";

const $ = id => document.getElementById(id);
const state = {
  path: null,        // the spec's path in the working folder (studio/x.yaml)
  schema: null,
  edits: 0,          // doc version: a lint answer for an older text is not shown
  editAt: 0,         // performance.now() of the last edit
  latencies: [],     // ms from an edit to its problems shown (the benchmark reads these)
  plans: 0,          // diagrams drawn
  runs: {},          // run_id -> {source, curve data}
  current: null,     // the run the Train panel follows
};
window.kspecStudio = state;  // for the browser test and the latency benchmark

function say(msg, bad = false) {
  const s = $("status");
  s.textContent = msg;
  s.className = bad ? "bad" : "";
}

function text() { return view.state.doc.toString(); }

// ---- editor: lint from /api/validate, completion + hover from /api/schema ---------------

function toDiagnostics(doc, problems) {
  const out = [];
  for (const p of problems) {
    let from = 0, to = Math.min(1, doc.length);
    if (p.line && p.line <= doc.lines) {
      const line = doc.line(p.line);
      from = Math.min(line.from + Math.max(0, (p.col || 1) - 1), line.to);
      const endLine = p.end_line && p.end_line <= doc.lines ? doc.line(p.end_line) : line;
      to = Math.max(from, Math.min(endLine.from + Math.max(0, (p.end_col || p.col || 1) - 1), endLine.to));
    }
    const where = p.line ? "" : (p.file ? `${p.file}: ` : "");
    // kspec's three kinds: error, warning, lint (a rule's advice: loss vs last activation, ...)
    const severity = {error: "error", warning: "warning", lint: "info"}[p.severity] || "warning";
    out.push({from, to, severity,
              message: where + (p.field ? `${p.field}: ` : "") + p.message, source: "kspec"});
  }
  return out;
}

function showProblems(problems, summary) {
  const list = $("problems");
  list.textContent = "";
  for (const p of problems) {
    const li = list.appendChild(document.createElement("li"));
    li.className = "problem " + p.severity;
    li.dataset.severity = p.severity;
    if (p.line) li.dataset.line = p.line;
    if (p.col) li.dataset.col = p.col;
    li.textContent = p.text || p.message;
    li.title = "click: go to the line";
    li.onclick = () => p.line && jumpTo(p.line, p.col);
  }
  const errors = problems.filter(p => p.severity === "error").length;
  $("summary").textContent = errors ? `${errors} error(s)` : (summary || "ok");
  $("summary").className = errors ? "bad" : "good";
}

// Lint: 30 ms after the last keystroke the text goes to /api/validate (kspec's own
// validator, in the server's process); the answer for the newest text becomes the
// editor's marks and the problems list. Our own debounce rather than @codemirror/lint's
// linter(): the page then knows the moment the marks are in the DOM (the latency figure).
const LINT_DELAY = 30;
let lintTimer = null;

function scheduleLint() {
  clearTimeout(lintTimer);
  lintTimer = setTimeout(lintNow, LINT_DELAY);
}

async function lintNow() {
  const version = state.edits, editAt = state.editAt;
  const body = text();
  let answer;
  try {
    answer = await api("validate", {text: body, path: state.path || undefined});
  } catch (e) {
    say("validate: " + e.message, true);
    return;
  }
  if (version !== state.edits) return;  // a newer text is on its way
  view.dispatch(setDiagnostics(view.state, toDiagnostics(view.state.doc, answer.problems)));
  showProblems(answer.problems, answer.summary);
  const ms = performance.now() - editAt;  // marks and list are in the DOM now
  if (editAt) state.latencies.push(ms);
  $("lint-ms").textContent = `checked in ${Math.round(ms)} ms (server ${answer.ms} ms)`;
  $("problems").dataset.version = version;
  if (answer.ok) {
    schedulePlan();
  } else if (state.plans) {  // the diagram stays, greyed: it is the last valid spec's
    $("model").classList.add("stale");
    $("model-note").textContent = "(the diagram of the last valid text: fix the errors to update it)";
  }
}

function jumpTo(line, col = 1) {
  if (!line || line > view.state.doc.lines) return;
  const l = view.state.doc.line(line);
  const pos = Math.min(l.from + Math.max(0, col - 1), l.to);
  view.dispatch({selection: EditorSelection.cursor(pos),
                 effects: EditorView.scrollIntoView(pos, {y: "center"})});
  view.focus();
}

const view = new EditorView({
  parent: $("editor"),
  doc: "# open a spec from the Library (left), or type one here\n",
  extensions: [
    basicSetup,
    EditorView.lineWrapping,
    yaml(),
    yamlLanguage.data.of({autocomplete: completionSource(() => state.schema)}),
    hoverTooltip(hoverSource(() => state.schema), {hoverTime: 250}),
    lintGutter(),
    keymap.of([{key: "Mod-s", preventDefault: true, run: () => { save(); return true; }}]),
    EditorView.updateListener.of(u => {
      if (u.docChanged) {
        state.edits++;
        state.editAt = performance.now();
        $("dirty").textContent = "edited";
        scheduleLint();
      }
    }),
  ],
});
state.view = view;

function setText(t) {
  view.dispatch({changes: {from: 0, to: view.state.doc.length, insert: t}});
}

// ---- library ------------------------------------------------------------------------

async function loadLibrary() {
  const data = await api("library");
  const host = $("library");
  host.textContent = "";
  for (const topic of data.topics) {
    const det = host.appendChild(document.createElement("details"));
    det.open = true;
    det.className = "topic";
    det.dataset.topic = topic.topic;
    det.appendChild(document.createElement("summary")).textContent = topic.title;
    for (const s of topic.specs) {
      const b = det.appendChild(document.createElement("button"));
      b.className = "lib-spec";
      b.dataset.name = s.name;
      b.title = s.description;
      const name = b.appendChild(document.createElement("span"));
      name.className = "name";
      name.textContent = s.name;
      const lec = b.appendChild(document.createElement("span"));
      lec.className = "lectures";
      lec.textContent = (s.lectures || []).join(" ") + (s.task !== "supervised" ? " · " + s.task : "");
      b.appendChild(document.createElement("span")).textContent = s.description;
      b.onclick = () => openSpec({name: s.name});
    }
  }
}

// The working folder's own specs (the copies made here, the student's files): a click
// opens the file itself; the Library's click makes a new copy each time
async function loadFiles() {
  let data;
  try { data = await api("files"); } catch (e) { return; }
  const host = $("files");
  host.textContent = "";
  const mine = data.files.filter(f => !f.endsWith(".export.yaml"));
  if (!mine.length) {
    host.appendChild(document.createElement("div")).className = "muted";
    host.lastChild.textContent = "none yet: open one from the Library below";
  }
  for (const f of mine) {
    const b = host.appendChild(document.createElement("button"));
    b.className = "file" + (f === state.path ? " on" : "");
    b.dataset.path = f;
    b.textContent = f;
    b.title = "open " + f;
    b.onclick = () => openSpec({path: f});
  }
}

async function openSpec(body) {
  // opening another spec keeps the edits of this one: they are saved first (the text
  // was lost before, without a word)
  if (state.path && $("dirty").textContent === "edited") {
    try {
      await api("save", {path: state.path, text: text()});
    } catch (e) { say(`not opened: saving ${state.path} first failed: ${e.message}`, true); return; }
  }
  try {
    const data = await api("open", body);
    state.path = data.path;
    $("path").textContent = data.path;
    $("origin").textContent = data.origin ? `from ${data.origin}` : "";
    setText(data.text);
    $("dirty").textContent = "saved";
    say(`opened ${data.path}`);
    schedulePlan(0);
    loadFiles();
  } catch (e) {
    say(e.message, true);
  }
}

// ---- model diagram ------------------------------------------------------------------

let planTimer = null;
function schedulePlan(delay = 120) {
  clearTimeout(planTimer);
  planTimer = setTimeout(plan, delay);
}

async function plan() {
  const version = state.edits;
  let data;
  try {
    data = await api("plan", {text: text(), path: state.path || undefined});
  } catch (e) {
    $("model-note").textContent = e.message;
    return;
  }
  if (version !== state.edits) return;
  if (data.error) {  // keep the last diagram; say why it is stale
    $("model-note").textContent = "diagram of the last valid spec: " + data.error;
    $("model").classList.add("stale");
    return;
  }
  $("model").classList.remove("stale");
  $("model-note").textContent = "";
  const host = $("model-svg");
  // the SVG is the server's (kspec's own diagram); parse it as SVG, never run it
  const doc = new DOMParser().parseFromString(data.svg, "image/svg+xml");
  const svg = doc.documentElement;
  svg.querySelectorAll("script, foreignObject").forEach(e => e.remove());
  host.textContent = "";
  host.appendChild(document.importNode(svg, true));
  const byName = {};
  for (const l of data.layers) byName[(l.role || "") + "/" + l.name] = l;
  host.querySelectorAll("g.layer").forEach(g => {
    const info = byName[(g.dataset.role || "") + "/" + g.dataset.layer] ||
      data.layers.find(l => l.name === g.dataset.layer);
    g.addEventListener("click", () => jumpTo(Number(g.dataset.line || (info && info.line))));
    g.addEventListener("mouseenter", () => showLayer(info, g));
  });
  $("total-params").textContent = data.total_params.toLocaleString("en-US");
  $("total-params").dataset.value = data.total_params;
  state.plans++;
  state.layers = data.layers;
}

function showLayer(info, g) {
  const box = $("layer-info");
  if (!info) { box.textContent = g.dataset.layer; return; }
  const shape = info.output_shape ? "(" + info.output_shape.map(d => d === null ? "None" : d).join(", ") + ")" : "?";
  box.textContent = "";
  box.appendChild(document.createElement("b")).textContent = `${info.name} (${info.kind})`;
  box.appendChild(document.createElement("div")).textContent = `output ${shape} · ${info.params.toLocaleString("en-US")} parameters`;
  if (info.explain) box.appendChild(document.createElement("div")).textContent = info.explain;
  if (info.line) box.appendChild(document.createElement("div")).textContent = `line ${info.line} (click to go there)`;
}

// ---- save / export / diff -------------------------------------------------------------

function needPath() {
  if (!state.path) { say("open a spec from the Library first", true); return false; }
  return true;
}

async function save() {
  if (!needPath()) return;
  try {
    const r = await api("save", {path: state.path, text: text()});
    $("dirty").textContent = "saved";
    say(`saved ${r.path} (${r.bytes} bytes)`);
  } catch (e) { say(e.message, true); }
}

function showOutput(title, body) {
  $("output-title").textContent = title;
  $("output").textContent = body;
  $("output-box").hidden = false;
}

function showPicture(title, src) {
  showOutput(title, "");
  const img = $("output").appendChild(document.createElement("img"));
  img.src = src;
  img.alt = title;
  img.className = "full";
}

async function exportSpec() {
  if (!needPath()) return;
  try {
    const r = await api("export", {path: state.path, text: text()});
    showOutput(`exported to ${r.path} · fingerprint ${r.fingerprint}`, r.text || "");
    say(`exported ${r.path}`);
  } catch (e) { say(e.message, true); }
}

async function diffSpec() {
  if (!needPath()) return;
  try {
    const r = await api("diff", {path: state.path, text: text()});
    showOutput(`diff against ${r.start || "the starting spec"}`, r.diff || "(no changes)");
  } catch (e) { say(e.message, true); }
}

// ---- train ------------------------------------------------------------------------------

const curve = new Curve($("curve"));

async function train() {
  if (!needPath()) return;
  const epochs = $("train-epochs").value.trim();
  const set = epochs ? [`train.epochs=${epochs}`] : [];
  let r;
  try {
    r = await api("train", {path: state.path, text: text(), set});
  } catch (e) { say(e.message, true); return; }
  $("dirty").textContent = "saved";
  follow(r.run_id);
  say(`training ${r.run_id} into ${r.folder}`);
  refreshRuns();
}

function follow(id) {
  if (state.runs[id]) state.runs[id].close();  // the stream replays from the first epoch
  state.current = id;
  curve.reset();
  $("train-run").textContent = id;
  $("train-state").textContent = "running";
  $("train-state").dataset.state = "running";
  $("metrics").textContent = "";
  $("train-log").textContent = "";
  $("btn-stop").disabled = false;
  const es = new EventSource(withToken(`runs/${encodeURIComponent(id)}/events`));
  state.runs[id] = es;
  es.addEventListener("epoch", ev => {
    if (state.current !== id) return;
    curve.add(JSON.parse(ev.data));
  });
  es.addEventListener("line", ev => {
    if (state.current !== id) return;
    const log = $("train-log");
    log.textContent += JSON.parse(ev.data).line + "\n";
    log.scrollTop = log.scrollHeight;
  });
  es.addEventListener("end", ev => {
    es.close();
    const d = JSON.parse(ev.data);
    if (state.current === id) {
      $("train-state").textContent = d.state + (d.folder ? ` · ${d.folder}` : d.partial ? ` · kept ${d.partial}` : "");
      $("train-state").dataset.state = d.state;
      $("btn-stop").disabled = true;
      showMetrics(d.metrics);
      if (d.state === "failed" && d.last_line) say(d.last_line, true);
      else if (d.state === "stopped")  // (the footer said "stopping r1" long after)
        say(`${id} stopped` + (d.partial ? `; its last finished epoch is kept in ${d.partial}` : ""));
      else if (d.state === "done") say(`${id} done: ${d.folder} (report: the Runs list)`);
    }
    refreshRuns();
  });
  es.onerror = () => { if (es.readyState === EventSource.CLOSED) refreshRuns(); };
}

function showMetrics(m) {
  const host = $("metrics");
  host.textContent = "";
  if (!m) return;
  const flat = {};
  const walk = (o, pre) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === "object" && !Array.isArray(v)) walk(v, pre + k + ".");
      else if (typeof v === "number") flat[pre + k] = v;
    }
  };
  walk(m, "");
  for (const [k, v] of Object.entries(flat).slice(0, 16)) {
    const row = host.appendChild(document.createElement("div"));
    row.className = "metric";
    row.dataset.key = k;
    row.textContent = `${k}: ${Number.isInteger(v) ? v : v.toFixed(4)}`;
  }
}

async function stop() {
  if (!state.current) return;
  try {
    const r = await api(`runs/${encodeURIComponent(state.current)}/stop`, {});
    say(`stopping ${r.run_id} (it keeps its last finished epoch)`);
  } catch (e) { say(e.message, true); }
}

let runsAsked = 0;
async function refreshRuns() {
  const ask = ++runsAsked;
  let data;
  try { data = await api("runs"); } catch (e) { return; }
  if (ask !== runsAsked) return;  // a later listing is on its way
  const host = $("runs");
  host.textContent = "";
  const sel = $("inside-run");
  const keep = sel.value;
  sel.textContent = "";
  for (const r of data.runs.slice().reverse()) {
    const row = host.appendChild(document.createElement("div"));
    row.className = "run";
    row.dataset.run = r.run_id;
    row.dataset.state = r.state;
    const box = row.appendChild(document.createElement("input"));
    box.type = "checkbox";
    box.value = r.run_id;
    box.className = "run-pick";
    row.appendChild(document.createElement("span")).textContent =
      ` ${r.run_id.startsWith("runs/") ? "" : r.run_id + " · "}${r.folder} · ${r.state} `;
    if (!r.run_id.startsWith("runs/")) {  // started here: its curve can be followed
      const see = row.appendChild(document.createElement("button"));
      see.textContent = "curve";
      see.className = "run-follow";
      see.title = "show this run's curve and log (and Stop it while it trains)";
      see.onclick = () => follow(r.run_id);
    }
    const rep = row.appendChild(document.createElement("button"));
    rep.textContent = "report";
    rep.className = "run-report";
    rep.disabled = r.state !== "done";  // a stopped run has no report (RUN.partial)
    rep.onclick = () => openReport(r.run_id);
    if (r.state === "done") {
      const o = sel.appendChild(document.createElement("option"));
      o.value = r.run_id;
      o.textContent = `${r.run_id.startsWith("runs/") ? r.folder : r.run_id + " · " + r.folder} (${r.task})`;
    }
  }
  if (keep) sel.value = keep;
  insideSource();
}

// Inside looks at a finished run or at the editor's spec; with no finished run yet, the
// spec (the run list would be an empty box)
function insideSource() {
  const sel = $("inside-run"), src = $("inside-source");
  if (!sel.options.length) src.value = "spec";
  src.querySelector('option[value="run"]').disabled = !sel.options.length;
  sel.hidden = !sel.options.length;  // (Generate reads it whatever Inspect looks at)
}

function showFrame(src, title) {
  $("report-title").textContent = title;
  $("report-frame").src = src;
  $("report-box").hidden = false;
  $("report-open").href = src;
}

function openReport(id) {
  showFrame(withToken(`runs/${encodeURIComponent(id)}/report`), `report of ${id}`);
}

function compare() {
  const picked = [...document.querySelectorAll(".run-pick:checked")].map(b => b.value);
  if (picked.length < 2) { say("tick two or more runs to compare", true); return; }
  showFrame(withToken("compare?" + picked.map(p => "runs=" + encodeURIComponent(p)).join("&")),
            "compare " + picked.join(", "));
}

// ---- inside -------------------------------------------------------------------------------

function insideTarget() {
  const run = $("inside-run").value;
  return run && $("inside-source").value === "run" ? {run} : {text: text(), path: state.path || undefined};
}

async function inspect() {
  const body = insideTarget();
  const typed = $("inside-values").value.trim();
  if (typed) {
    try { body.input = JSON.parse(typed); } catch (e) { say("input: type numbers as JSON, e.g. [0.1, 2]", true); return; }
  } else {
    body.input = {test_index: Number($("inside-index").value || 0)};
  }
  const layer = $("inside-layer").value.trim();
  if (layer) body.layer = layer;
  const role = $("inside-role").value.trim();
  if (role && body.text !== undefined) body.role = role;  // a network of a several-network spec
  const out = $("inside-out");
  out.textContent = "looking inside ...";
  try {
    const r = await api("inspect", body);
    out.textContent = "";
    for (const l of [r.input, ...r.layers]) {
      const card = out.appendChild(document.createElement("div"));
      card.className = "inside-layer";
      card.dataset.layer = l.name;
      card.appendChild(document.createElement("b")).textContent = `${l.name} (${l.kind}) shape [${l.shape.join(", ")}]`;
      if (l.summary) card.appendChild(document.createElement("div")).textContent = typeof l.summary === "string" ? l.summary : JSON.stringify(l.summary);
      // the numbers as text for a vector; a map's picture writes them in its cells
      // (nested [[[10],[10],...]] lists were unreadable)
      if (l.values && !l.png) card.appendChild(document.createElement("code")).textContent = JSON.stringify(l.values);
      if (l.png) {
        const img = card.appendChild(document.createElement("img"));
        img.src = l.png;
        img.alt = l.name;
        img.title = "click: full size";
        img.onclick = () => showPicture(`${l.name} [${l.shape.join(", ")}]`, l.png);
      }
    }
  } catch (e) { out.textContent = e.message; }
}

async function generate() {
  const run = $("inside-run").value;
  if (!run) { say("pick a finished run (Inside: run) to generate from", true); return; }
  const body = {run, mode: $("gen-mode").value || undefined};
  const n = $("gen-n").value.trim(), t = $("gen-temp").value.trim(), p = $("gen-prompt").value;
  // one field for how many: samples (n), forecast steps, text length; the server uses
  // the one the run's command takes and lists the others as ignored
  const COUNT = ["n", "steps", "length"];
  if (n) for (const k of COUNT) body[k] = Number(n);
  if (t) body.temperature = Number(t);
  if (p) body.prompt = p;
  const out = $("gen-out");
  out.textContent = "generating ...";
  try {
    const r = await api("generate", body);
    out.textContent = "";
    if (r.text) out.appendChild(document.createElement("pre")).textContent = r.text;
    if (r.message) out.appendChild(document.createElement("div")).textContent = r.message;
    if (r.png) { const img = out.appendChild(document.createElement("img")); img.src = r.png; img.alt = r.mode; }
    if (r.rows) {
      const pre = out.appendChild(document.createElement("pre"));
      pre.textContent = r.rows.map(([step, time, value]) => `${step}\t${time}\t${value}`).join("\n");
    }
    const ignored = (r.ignored || []).filter(k => !COUNT.includes(k));
    if (ignored.length) out.appendChild(document.createElement("div")).textContent =
      `not used by this run's ${r.mode}: ${ignored.join(", ")}`;
  } catch (e) { out.textContent = e.message; }
}

// ---- tabs and wiring -------------------------------------------------------------------

function tab(name) {
  document.querySelectorAll(".tab").forEach(b => b.classList.toggle("on", b.dataset.tab === name));
  document.querySelectorAll(".pane").forEach(p => { p.hidden = p.id !== name; });
}

document.querySelectorAll(".tab").forEach(b => { b.onclick = () => tab(b.dataset.tab); });
$("btn-save").onclick = save;
$("btn-export").onclick = exportSpec;
$("btn-diff").onclick = diffSpec;
$("btn-train").onclick = () => { tab("train"); train(); };
$("btn-stop").onclick = stop;
$("btn-compare").onclick = compare;
$("btn-inspect").onclick = inspect;
$("inside-source").onchange = insideSource;
$("btn-generate").onclick = generate;
$("output-close").onclick = () => { $("output-box").hidden = true; };
$("report-close").onclick = () => { $("report-box").hidden = true; $("report-frame").src = "about:blank"; };
tab("model");

(async () => {
  try {
    state.schema = new Schema(await api("schema"));
    await loadLibrary();
    await loadFiles();
    await refreshRuns();
    const first = new URLSearchParams(location.search).get("open");
    if (first) await openSpec({path: first});
    state.ready = true;
    say("ready: open a spec from the Library");
  } catch (e) {
    say(e.message, true);
  }
})();
