// Completion and hover docs from kspec's JSON Schema (GET /api/schema).
//
// Why our own small walker instead of codemirror-json-schema's YAML mode: tried
// (0.8.1) against kspec's schema, its hover worked but completion offered nothing
// inside a layer (`- dense:` + a new key), for a key with no sibling yet, or under
// `train` (whose keys depend on `task`), and it bundles shiki + markdown-it
// (~500 KB). kspec's schema has a few shapes only: $ref to definitions, anyOf
// unions, one-key layer mappings, if/then/else at the root. This walks them.

// ---- where the cursor is: the path of YAML keys around it ---------------------------

const LEAD = /^(\s*)((?:-\s+)*)/;

function lead(line) {
  const m = LEAD.exec(line);
  return {indent: m[1].length, dashes: (m[2].match(/-/g) || []).length, keyCol: m[0].length};
}

function keyOf(line) {  // `  - dense:` -> "dense" (a key that opens a block or flow value)
  const m = /^\s*(?:-\s+)*([A-Za-z_][\w.-]*)\s*:(.*)$/.exec(line);
  return m ? {key: m[1], rest: m[2].replace(/\s+#.*$/, "").trim()} : null;
}

// The block path above line `idx` (0-based) for text starting at its key column.
function blockPath(lines, idx) {
  const here = lead(lines[idx]);
  const path = [];
  for (let i = 0; i < here.dashes; i++) path.push("[]");
  let target = here.indent;
  if (here.dashes === 0) target = here.keyCol;
  for (let j = idx - 1; j >= 0 && target > 0; j--) {
    const line = lines[j];
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const l = lead(line);
    if (l.keyCol < target) {
      const k = keyOf(line);
      if (k) path.unshift(k.key);
      for (let d = 0; d < l.dashes; d++) path.unshift("[]");
      target = l.dashes ? l.indent : l.keyCol;
    } else if (l.dashes && l.indent < target) {  // a sibling key in the same list item
      for (let d = 0; d < l.dashes; d++) path.unshift("[]");
      target = l.indent;
    }
  }
  return path;
}

// Inside a line: `- dense: {units: 8, act` -> path ["[]", "dense"], typing "act".
function flowPath(text) {
  const path = [];
  let key = null, start = 0;
  const word = /^\s*(?:-\s+)*([A-Za-z_][\w.-]*)\s*:\s*/;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") {
      const before = word.exec(text.slice(start, i));
      if (before) path.push(before[1]);
      if (c === "[") path.push("[]");
      path.push(c);
      start = i + 1;
    } else if (c === "}" || c === "]") {
      while (path.length && path[path.length - 1] !== (c === "}" ? "{" : "[")) path.pop();
      path.pop();
      if (c === "]") path.pop();  // the "[]"
      if (path.length && path[path.length - 1] !== "{" && path[path.length - 1] !== "[") path.pop();
      start = i + 1;
    } else if (c === ",") {
      start = i + 1;
    }
    key = null;
  }
  return {path: path.filter(p => p !== "{" && p !== "["), rest: text.slice(start)};
}

// What the cursor is in: {path: [...keys / "[]"], kind: "key" | "value", key, word}
export function contextAt(doc, pos) {
  const line = doc.lineAt(pos);
  const lines = doc.toString().split("\n");
  const idx = line.number - 1;
  const before = line.text.slice(0, pos - line.from);
  const l = lead(before);
  let path = blockPath(lines.slice(0, idx).concat([before]), idx);
  let text = before.slice(l.keyCol);
  // a key with its value on this line: `loss: bin` or `dense: {units: 8, act`
  const m = /^([A-Za-z_][\w.-]*)\s*:\s*(.*)$/.exec(text);
  if (m && /[{[]/.test(m[2])) {
    const f = flowPath(text);
    path = path.concat(f.path);
    text = f.rest.replace(/^\s+/, "");
    const mm = /^([A-Za-z_][\w.-]*)\s*:\s*(.*)$/.exec(text);
    if (mm) return {path, kind: "value", key: mm[1], word: mm[2]};
    return {path, kind: path[path.length - 1] === "[]" ? "item" : "key", word: text};
  }
  if (m) return {path, kind: "value", key: m[1], word: m[2]};
  return {path, kind: path[path.length - 1] === "[]" ? "item" : "key", word: text};
}

// ---- the schema at a path ------------------------------------------------------------

export class Schema {
  constructor(root) {
    this.root = root;
    this.defs = root.definitions || root.$defs || {};
  }

  deref(s, seen = 0) {
    while (s && s.$ref && seen++ < 20) {
      const name = decodeURIComponent(s.$ref.replace(/^#\/(definitions|\$defs)\//, ""));
      const target = this.defs[name];
      s = target ? {...target, description: s.description || target.description} : null;
    }
    return s;
  }

  // the alternatives a schema stands for (anyOf/oneOf flattened, refs followed)
  flat(s, out = [], depth = 0) {
    s = this.deref(s);
    if (!s || depth > 8) return out;
    // an object with its own properties and an anyOf of `required` lists (supervised's
    // train: loss or outputs) is one object: the anyOf only says which keys it needs
    const alts = s.properties ? null : s.anyOf || s.oneOf;
    if (alts) {
      for (const a of alts) {
        const d = this.deref(a);
        this.flat(d && !d.description && s.description ? {...d, description: s.description} : d,
                  out, depth + 1);
      }
    } else {
      out.push(s);
    }
    for (const a of s.allOf || []) this.flat(a, out, depth + 1);
    return out;
  }

  top(task) {
    const r = this.root;
    const spec = this.deref(r.else || r.then || r);
    return [spec];
  }

  // train's keys depend on the task: GANTrain for gan, TrainSpec for supervised, ...
  trainFor(task) {
    const camel = (task || "supervised").split("_").map(w => w ? w[0].toUpperCase() + w.slice(1) : "").join("");
    for (const name of [camel + "Train", camel.toUpperCase() + "Train", "TrainSpec"]) {
      if (this.defs[name]) return this.defs[name];
    }
    for (const name of Object.keys(this.defs)) {
      if (name.toLowerCase() === (task || "").replace(/_/g, "") + "train") return this.defs[name];
    }
    return this.defs.TrainSpec;
  }

  child(schemas, key, task) {
    const out = [];
    for (const s of schemas) {
      if (s.properties && key in s.properties) {
        if (key === "train" && s.properties.kspec) out.push(this.trainFor(task));
        else out.push(s.properties[key]);
      } else if (s.additionalProperties && typeof s.additionalProperties === "object") {
        out.push(s.additionalProperties);
      }
    }
    return out.flatMap(s => this.flat(s));
  }

  items(schemas) {
    return schemas.flatMap(s => s.items ? this.flat(s.items) : []);
  }

  at(path, task) {
    let cur = this.top(task).flatMap(s => this.flat(s));
    for (const seg of path) {
      cur = seg === "[]" ? this.items(cur) : this.child(cur, seg, task);
      if (!cur.length) break;
    }
    return cur;
  }

  keys(schemas) {  // [name, property schema] of the object alternatives
    const out = new Map();
    for (const s of schemas) {
      for (const [k, v] of Object.entries(s.properties || {})) if (!out.has(k)) out.set(k, v);
    }
    return out;
  }

  values(schemas) {  // the enum / const / boolean values a scalar may take
    const out = new Set();
    for (const s of schemas) {
      for (const v of s.enum || []) out.add(String(v));
      if ("const" in s) out.add(String(s.const));
      if (s.type === "boolean") { out.add("true"); out.add("false"); }
    }
    return [...out];
  }

  describe(s) {
    const flat = this.flat(s);
    const d = this.deref(s) || {};
    const desc = d.description || flat.map(x => x.description).find(Boolean) || "";
    const types = [...new Set(flat.map(x => Array.isArray(x.type) ? x.type.join("|") : x.type ||
                                        (x.enum ? "one of " + x.enum.slice(0, 8).join(", ") +
                                         (x.enum.length > 8 ? ", ..." : "") : "")).filter(Boolean))];
    const dflt = flat.find(x => "default" in x && x.default !== null);
    return {description: desc, type: types.join(" or "),
            default: dflt ? JSON.stringify(dflt.default) : null};
  }
}

// ---- CodeMirror sources ------------------------------------------------------------

function taskOf(doc) {
  const m = /^task:\s*([\w-]+)/m.exec(doc.toString());
  return m ? m[1] : "supervised";
}

export function completionSource(getSchema) {
  return (ctx) => {
    const schema = getSchema();
    if (!schema) return null;
    const c = contextAt(ctx.state.doc, ctx.pos);
    const task = taskOf(ctx.state.doc);
    const word = /[\w.-]*$/.exec(c.kind === "value" ? c.word : c.word)[0];
    const from = ctx.pos - word.length;
    if (!ctx.explicit && !word.length && c.kind !== "value") return null;
    let options = [];
    if (c.kind === "value") {
      const here = schema.child(schema.at(c.path, task), c.key, task);
      options = schema.values(here).map(v => ({label: v, type: "constant"}));
    } else {
      const here = schema.at(c.path, task);
      for (const [k, v] of schema.keys(here)) {
        const d = schema.describe(v);
        options.push({label: k, type: "property", detail: d.type, info: d.description,
                      apply: k + ": "});
      }
      if (c.kind === "item") {
        for (const v of schema.values(here)) {
          if (!options.some(o => o.label === v)) options.push({label: v, type: "constant"});
        }
      }
    }
    if (!options.length) return null;
    return {from, options, validFor: /^[\w.-]*$/};
  };
}

export function hoverSource(getSchema) {
  return (view, pos) => {
    const schema = getSchema();
    if (!schema) return null;
    const line = view.state.doc.lineAt(pos);
    const text = line.text;
    let a = pos - line.from, b = a;
    while (a > 0 && /[\w.-]/.test(text[a - 1])) a--;
    while (b < text.length && /[\w.-]/.test(text[b])) b++;
    if (a === b) return null;
    const word = text.slice(a, b);
    const after = text.slice(b);
    const c = contextAt(view.state.doc, line.from + a);
    const task = taskOf(view.state.doc);
    let info = null;
    if (/^\s*:/.test(after)) {  // a key
      const here = schema.child(schema.at(c.path, task), word, task);
      if (here.length) info = schema.describe({anyOf: here});
    } else if (c.kind === "item") {  // a bare layer name such as `- flatten`
      const here = schema.child(schema.at(c.path, task), word, task);
      if (here.length) info = schema.describe({anyOf: here});
    }
    if (!info || !(info.description || info.type)) return null;
    return {
      pos: line.from + a, end: line.from + b, above: true,
      create() {
        const dom = document.createElement("div");
        dom.className = "ks-hover";
        const h = dom.appendChild(document.createElement("b"));
        h.textContent = word;
        if (info.type) dom.appendChild(document.createElement("code")).textContent = " " + info.type;
        if (info.description) dom.appendChild(document.createElement("div")).textContent = info.description;
        if (info.default) dom.appendChild(document.createElement("div")).textContent = "default: " + info.default;
        return {dom};
      },
    };
  };
}
