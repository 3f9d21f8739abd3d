// The code reader in the page: a trained character-level LSTM runs on the text the learner types, and each character
// is coloured by one unit's c_t, h_t or gate value at that character. lstm_course/reader/page.py builds the
// configuration (the weights, base64: int8 rows and scales, float16 or float32) and links this module after
// lstm_cell.js into one page script.
//
// The math is lstm_cell.js's lstm_step. The model reads one-hot characters: with x_t the one-hot vector of character
// k, W [h_{t-1}, x_t] + b = W_h h_{t-1} + (W_x[:, k] + b) exactly, so each step is
//   lstm_step([], h_prev, c_prev, weightsOf[k])
// with I = 0 inputs, the hidden halves W_h of the gates and the bias b + W_x[:, k] of character k (computed once per
// character of the vocabulary, in float64). fastStep computes that same call bit for bit, about 1.6 times faster
// (a 2,000-character paste must take under a second): its four products W_{g,h} h_{t-1} loop over one flat array in
// lstm_step's order, and it applies lstm_cell.js's sigmoid, cell_update and hidden_state; the tests compare every
// state of the two. The output layer y_t = W_y h_t + b_y gives the next character's scores for sampling.
//
// The state after every character is kept: after an edit only the characters from the first changed one onward are
// run again (a keystroke at the end of the text runs one step).
//
// What tests read (issue 20 point 4): textarea[data-reader-input] (the text), select[data-reader-quantity]
// (c_t, h_t, f_t, i_t, o_t), select[data-reader-unit] (option values: unit indices, 0-based), one
// span[data-char-index] per character (code points, 0-based, as Python indexes a str) with data-value: the
// selected quantity of the selected unit after reading that character, every digit. The root carries
// data-last-update-ms (the last update's time, layout included), data-recomputed (how many characters it ran) and
// data-chars.

import { cell_update, hidden_state, lstm_step, sigmoid } from "./lstm_cell.js";

/** The quantities a character can be coloured by, with their labels. */
export const QUANTITIES = [
  { key: "c_t", label: "c_t, cell state" },
  { key: "h_t", label: "h_t, hidden state" },
  { key: "f_t", label: "f_t, forget gate" },
  { key: "i_t", label: "i_t, input gate" },
  { key: "o_t", label: "o_t, output gate" },
];
const GATES = ["f", "i", "c", "o"];
const MAX_CHARS = 20000;
const DIGITS = 3;

/** Float32 little-endian numbers from base64 -> a Float32Array. */
export function decodeFloat32(b64) {
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  return new Float32Array(bytes.buffer, 0, bytes.length / 4);
}

/** One IEEE float16 (its 16 bits as an integer) -> the same number. */
function halfToNumber(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** Float16 little-endian numbers from base64 -> a Float32Array of the same numbers (exact: float32 holds them). */
export function decodeFloat16(b64) {
  const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const out = new Float32Array(bytes.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = halfToNumber(bytes[2 * k] | (bytes[2 * k + 1] << 8));
  return out;
}

/**
 * 8-bit integers from base64 times one float32 scale per row of `cols` numbers -> a Float32Array. Each product is
 * a float32 number exactly (page.py packs only rows where it is), so this is the library's array bit for bit.
 */
export function decodeInt8Rows(b64, scalesB64, cols) {
  const q = new Int8Array(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)).buffer);
  const scale = decodeFloat32(scalesB64);
  if (q.length !== scale.length * cols) throw new Error("reader: int8 weights and their scales do not match");
  const out = new Float32Array(q.length);
  for (let k = 0; k < q.length; k++) out[k] = q[k] * scale[Math.floor(k / cols)];
  return out;
}

/** Array `name` of config.model (rows of `cols` numbers), by its entry in `dtypes`: "int8" (with `name_scale`),
 * "float16" or "float32" (also when absent). */
function decodeArray(m, name, cols) {
  const dtype = (m.dtypes && m.dtypes[name]) || "float32";
  if (dtype === "int8") return decodeInt8Rows(m[name], m[`${name}_scale`], cols);
  return dtype === "float16" ? decodeFloat16(m[name]) : decodeFloat32(m[name]);
}

/** `rows` consecutive rows of `cols` numbers from `flat`, starting at row `start`, as plain arrays. */
function rowsOf(flat, start, rows, cols) {
  const out = new Array(rows);
  for (let r = 0; r < rows; r++) out[r] = Array.from(flat.subarray((start + r) * cols, (start + r + 1) * cols));
  return out;
}

/**
 * The model of config.model: {H, vocab (a string, index 0 = unknown), W_h (4, H, H), W_x (4, H, V), b (4, H),
 * W_y (V, H), b_y (V), dtypes}, gates in the book's order f, i, c, o, weights base64 (int8, float16 or float32, per
 * dtypes).
 * Returns {H, V, vocab: [chars], index: Map char -> index, stepWeights: [V weights objects for lstm_step], W_y, b_y}.
 */
export function buildModel(m) {
  const H = m.H;
  const vocab = Array.from(m.vocab);
  const V = vocab.length;
  const Wh = decodeArray(m, "W_h", H);
  const Wx = decodeArray(m, "W_x", V);
  const b = decodeArray(m, "b", H);
  if (Wh.length !== 4 * H * H || Wx.length !== 4 * H * V || b.length !== 4 * H) {
    throw new Error(`reader: the weights do not match H = ${H}, V = ${V}`);
  }
  const hidden = {};
  GATES.forEach((g, k) => { hidden[g] = rowsOf(Wh, k * H, H, H); }); // (H, H) per gate
  const stepWeights = new Array(V);
  for (let ch = 0; ch < V; ch++) {
    const w = {};
    GATES.forEach((g, k) => {
      w[`W_${g}`] = hidden[g];
      // b_g + W_g,x[:, ch]: the input's contribution of a one-hot x_t, in float64
      w[`b_${g}`] = Array.from({ length: H }, (_, u) => b[k * H + u] + Wx[(k * H + u) * V + ch]);
    });
    stepWeights[ch] = w;
  }
  const flatWh = Wh; // (4H, H) float32: the rows of W_f,h, W_i,h, W_c,h, W_o,h (each read as the same float64)
  const index = new Map();
  vocab.forEach((c, k) => { if (k !== m.unknown) index.set(c, k); });
  return { H, V, vocab, index, unknown: m.unknown, stepWeights, flatWh,
           W_y: rowsOf(decodeArray(m, "W_y", H), 0, V, H), b_y: Array.from(decodeArray(m, "b_y", V)) };
}

/** The vocabulary index of one character (a code point); the unknown index for any other. */
export function encodeChar(model, ch) {
  const k = model.index.get(ch);
  return k === undefined ? model.unknown : k;
}

/**
 * lstm_step([], h_prev, c_prev, model.stepWeights[k]), bit for bit, about twice as fast: the four products
 * W_{g,h} h_{t-1} run over one flat Float64Array in lstm_cell.js's affine order (each sum from 0, k = 0..H-1, then
 * + b), and the gates, the cell update and h_t are lstm_cell.js's sigmoid, tanh, cell_update and hidden_state.
 * tests/test_reader_page.py checks every state against lstm_step's.
 */
export function fastStep(model, k, h_prev, c_prev) {
  const H = model.H;
  const W = model.flatWh;
  const w = model.stepWeights[k];
  const z = new Array(4);
  for (let g = 0; g < 4; g++) {
    const b = w[`b_${GATES[g]}`];
    const out = new Array(H);
    for (let u = 0; u < H; u++) {
      const o = (g * H + u) * H;
      let sum = 0;
      for (let j = 0; j < H; j++) sum += W[o + j] * h_prev[j];
      out[u] = sum + b[u];
    }
    z[g] = out;
  }
  const f_t = z[0].map(sigmoid);
  const i_t = z[1].map(sigmoid);
  const c_tilde = z[2].map(Math.tanh);
  const o_t = z[3].map(sigmoid);
  const c_t = cell_update(f_t, c_prev, i_t, c_tilde);
  const h_t = hidden_state(o_t, c_t);
  return { h_t, c_t, f_t, i_t, c_tilde, o_t };
}

/**
 * The states after each character, kept between edits. setText(chars) runs only from the first character that
 * differs from the last text, and returns that index. states[t] = {h_t, c_t, f_t, i_t, c_tilde, o_t}.
 */
export class Trace {
  /** `reference`: run lstm_cell.js's lstm_step itself (the tests compare the two); else fastStep. */
  constructor(model, reference = false) {
    this.model = model;
    this.reference = reference;
    this.chars = [];
    this.states = [];
    const zeros = new Array(model.H).fill(0);
    this.zero = { h_t: zeros, c_t: zeros };
  }

  last() {
    return this.states.length ? this.states[this.states.length - 1] : this.zero;
  }

  push(ch) {
    const prev = this.last();
    const k = encodeChar(this.model, ch);
    this.states.push(this.reference ? lstm_step([], prev.h_t, prev.c_t, this.model.stepWeights[k])
      : fastStep(this.model, k, prev.h_t, prev.c_t));
    this.chars.push(ch);
  }

  setText(chars) {
    let from = 0;
    const n = Math.min(chars.length, this.chars.length);
    while (from < n && chars[from] === this.chars[from]) from++;
    this.chars.length = from;
    this.states.length = from;
    for (let t = from; t < chars.length; t++) this.push(chars[t]);
    return from;
  }
}

/** The next character's scores, y = W_y h_t + b_y (V numbers). */
export function logits(model, h) {
  return model.W_y.map((row, k) => row.reduce((s, w, u) => s + w * h[u], 0) + model.b_y[k]);
}

/** softmax(y / temperature) (V numbers). */
export function probabilities(y, temperature) {
  const z = y.map((v) => v / temperature);
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / sum);
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same numbers in [0, 1) everywhere. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The index drawn from `p` with one uniform number u in [0, 1): the first k with p_0 + ... + p_k > u. */
export function draw(p, u) {
  let acc = 0;
  for (let k = 0; k < p.length; k++) {
    acc += p[k];
    if (u < acc) return k;
  }
  return p.length - 1;
}

/**
 * `n` characters sampled after the trace's text, one at a time: p = softmax(y_t / temperature), the unknown index
 * excluded, drawn with mulberry32(seed). Each drawn character is pushed onto the trace. Returns the characters.
 */
export function sampleInto(trace, n, temperature, seed) {
  const rand = mulberry32(seed);
  const model = trace.model;
  const out = [];
  for (let k = 0; k < n; k++) {
    const y = logits(model, trace.last().h_t);
    y[model.unknown] = -Infinity;
    const idx = draw(probabilities(y, temperature), rand());
    const ch = model.vocab[idx];
    trace.push(ch);
    out.push(ch);
  }
  return out;
}

/** A number for people: 3 decimals, a true minus sign. */
export function fmt(v) {
  const s = v.toFixed(DIGITS);
  return (s.startsWith("-") && Number(s) === 0 ? s.slice(1) : s).replace("-", "\u2212");
}

/** What a character is called in the read-out. */
function charName(ch) {
  if (ch === "\n") return "newline";
  if (ch === " ") return "space";
  return `\u201c${ch}\u201d`;
}

/** A new HTML element with attributes and children (strings become text). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

/** The element with id `id`, in the document or inside an open shadow root; null when there is none. */
export function findRoot(id) {
  const direct = document.getElementById(id);
  if (direct) return direct;
  const search = (scope) => {
    for (const e of scope.querySelectorAll("*")) {
      if (!e.shadowRoot) continue;
      const found = e.shadowRoot.getElementById(id) || search(e.shadowRoot);
      if (found) return found;
    }
    return null;
  };
  return search(document);
}

/**
 * The colour of value v: {sign: "pos" | "neg" | "", alpha in [0, 1]}. A gate's value (in 0 to 1, `gate` true) is
 * coloured around 0.5 (blue: open, orange: shut); c_t and h_t around 0, scaled by `scale` (the largest |value|).
 */
export function colourOf(v, gate, scale) {
  const t = gate ? 2 * (v - 0.5) : v / scale;
  const a = Math.min(1, Math.abs(t));
  return { sign: t > 0 ? "pos" : t < 0 ? "neg" : "", alpha: a };
}

/**
 * Builds a reader inside `root` from `config` (lstm_course.reader.page builds it): {model, text, units: [[name,
 * index], ...] (the named trackers), unit, quantity, temperature, seed, sample_length, title}.
 */
export function mount(root, config) {
  const id = root.id || `rd-${Math.random().toString(36).slice(2, 10)}`;
  const model = buildModel(config.model);
  const trace = new Trace(model);
  // cur: the character under the keyboard cursor in the coloured text; shown: the one the read-out describes
  const state = { unit: config.unit, quantity: config.quantity, scale: 1, cur: -1, shown: -1 };
  root.replaceChildren();
  root.classList.add("rd");
  // JupyterLab's and Notebook 7's shortcuts (Enter, arrows, letters in command mode) stay out of the reader: its keys
  // are the learner's typing and its own navigation (Lumino 2 reads the first attribute, Lumino 1 the second).
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  root.setAttribute("data-p-suppress-shortcuts", "true");

  // ---------------------------------------------------------------------------------------------- layout
  if (config.title) root.append(el("p", { class: "rd-title" }, config.title));
  const quantity = el("select", { id: `${id}-quantity`, "data-reader-quantity": "" });
  for (const q of QUANTITIES) quantity.append(el("option", { value: q.key }, q.label));
  const unit = el("select", { id: `${id}-unit`, "data-reader-unit": "" });
  const named = new Map(config.units.map(([name, u]) => [u, name]));
  if (config.units.length) {
    const group = el("optgroup", { label: "Named units" });
    for (const [name, u] of config.units) group.append(el("option", { value: u }, `unit ${u}: ${name}`));
    unit.append(group);
  }
  const rest = el("optgroup", { label: config.units.length ? "Other units" : "Units" });
  for (let u = 0; u < model.H; u++) if (!named.has(u)) rest.append(el("option", { value: u }, `unit ${u}`));
  unit.append(rest);
  root.append(el("div", { class: "rd-bar" },
    el("label", { for: `${id}-unit` }, "Unit "), unit, " ",
    el("label", { for: `${id}-quantity` }, "colour by "), quantity));

  const input = el("textarea", { id: `${id}-input`, "data-reader-input": "", rows: 8, spellcheck: "false",
    autocomplete: "off", autocapitalize: "off", wrap: "off", "aria-describedby": `${id}-help` });
  root.append(el("label", { class: "rd-label", for: `${id}-input` }, "Your Python code (type or paste)"), input,
    el("p", { class: "rd-muted rd-help", id: `${id}-help` }, "The LSTM reads it as you type. Move the cursor "
      + "here, point at a character below, or focus the coloured text and use the arrow keys to read a "
      + "character's values."));

  const legend = el("div", { class: "rd-legend", "aria-hidden": "true" });
  const legendLow = el("span", {});
  const legendMid = el("span", {});
  const legendHigh = el("span", {});
  legend.append(legendLow, el("span", { class: "rd-ramp" }), legendMid, el("span", { class: "rd-ramp rd-ramp-pos" }),
    legendHigh);
  const legendText = el("p", { class: "rd-muted rd-scale", id: `${id}-scale` });
  root.append(legend, legendText);

  const view = el("code", { class: "rd-text", id: `${id}-text`, tabindex: 0, role: "group",
    "aria-roledescription": "coloured code", "aria-describedby": `${id}-scale ${id}-readout` });
  const tip = el("div", { class: "rd-tip", id: `${id}-tip`, role: "tooltip", hidden: true });
  root.append(view, tip);
  const readout = el("p", { class: "rd-readout", id: `${id}-readout`, role: "status", "aria-live": "polite" });
  root.append(readout);

  const temp = el("input", { type: "range", id: `${id}-temperature`, "data-reader-temperature": "", min: 0.1,
    max: 2, step: 0.05, value: config.temperature });
  const tempOut = el("output", { for: `${id}-temperature`, class: "rd-out" });
  const seed = el("input", { type: "number", id: `${id}-seed`, "data-reader-seed": "", min: 0, step: 1,
    value: config.seed, inputmode: "numeric" });
  const sampleButton = el("button", { type: "button", "data-reader-action": "sample" },
    `Sample ${config.sample_length} characters`);
  const sampleStatus = el("p", { class: "rd-muted rd-status", role: "status" });
  root.append(el("div", { class: "rd-bar rd-sample" },
    el("label", { for: `${id}-temperature` }, "Temperature "), temp, tempOut, " ",
    el("label", { for: `${id}-seed` }, "seed "), seed, " ", sampleButton), sampleStatus);

  // ---------------------------------------------------------------------------------------------- render
  const valueAt = (t) => trace.states[t][state.quantity][state.unit];
  const isGate = () => !(state.quantity === "c_t" || state.quantity === "h_t");

  function scaleOf() {
    if (isGate()) return 1;
    let m = 0;
    for (let t = 0; t < trace.states.length; t++) m = Math.max(m, Math.abs(valueAt(t)));
    return m > 0 ? m : 1;
  }

  function paint(span, t) {
    const v = valueAt(t);
    span.dataset.value = String(v);
    const { sign, alpha } = colourOf(v, isGate(), state.scale);
    span.className = (span.dataset.nl ? "rd-nl " : "") + (sign ? `rd-${sign}` : "") + (t === state.cur ? " rd-cur" : "");
    span.style.setProperty("--rd-a", alpha.toFixed(3));
  }

  /** Spans from `from` on are replaced; all spans are repainted when the scale changed (or `all`). */
  function render(from, all) {
    const spans = view.children;
    while (spans.length > from) view.lastChild.remove();
    const fragment = document.createDocumentFragment();
    for (let t = from; t < trace.chars.length; t++) {
      const ch = trace.chars[t];
      const span = document.createElement("span");
      span.dataset.charIndex = String(t);
      if (ch === "\n") span.dataset.nl = "1";
      span.textContent = ch;
      fragment.append(span);
    }
    view.append(fragment);
    const scale = scaleOf();
    const repaintAll = all || scale !== state.scale;
    state.scale = scale;
    for (let t = repaintAll ? 0 : from; t < spans.length; t++) paint(spans[t], t);
    renderLegend();
  }

  function renderLegend() {
    const q = QUANTITIES.find((x) => x.key === state.quantity);
    const name = named.has(state.unit) ? ` (${named.get(state.unit)})` : "";
    if (isGate()) {
      legendLow.textContent = "0";
      legendMid.textContent = "0.5";
      legendHigh.textContent = "1";
      legendText.textContent = `Colour: ${q.label} of unit ${state.unit}${name}; orange toward 0 (shut), blue `
        + "toward 1 (open), none at 0.5.";
    } else {
      legendLow.textContent = fmt(-state.scale);
      legendMid.textContent = "0";
      legendHigh.textContent = fmt(state.scale);
      legendText.textContent = `Colour: ${q.label} of unit ${state.unit}${name}; orange negative, blue positive, `
        + `strongest at \u00b1${fmt(state.scale)}, the largest size in this text.`;
    }
  }

  function describe(t) {
    const ch = trace.chars[t];
    let line = 1;
    let col = 1;
    for (let k = 0; k < t; k++) {
      if (trace.chars[k] === "\n") { line += 1; col = 1; } else col += 1;
    }
    const s = trace.states[t];
    const values = QUANTITIES.map((q) => `${q.key} ${fmt(s[q.key][state.unit])}`).join(", ");
    return `${charName(ch)}, character ${t + 1} (line ${line}, column ${col}), unit `
      + `${state.unit}: ${values}`;
  }

  /** The read-out (and, with `anchor`, the tooltip next to it) says character t's values; t = -1 clears them. */
  function show(t, anchor) {
    if (t < 0 || t >= trace.chars.length) {
      state.shown = -1;
      readout.textContent = "";
      tip.hidden = true;
      return;
    }
    state.shown = t;
    const text = describe(t);
    if (readout.textContent !== text) readout.textContent = text;
    if (!anchor) return;
    tip.textContent = text;
    tip.hidden = false;
    const r = anchor.getBoundingClientRect();
    const base = root.getBoundingClientRect();
    const left = Math.max(0, Math.min(r.left - base.left, root.clientWidth - tip.offsetWidth));
    tip.style.left = `${left}px`;
    tip.style.top = `${r.bottom - base.top + 4}px`;
  }

  function setCursor(t) {
    const spans = view.children;
    if (state.cur >= 0 && state.cur < spans.length) spans[state.cur].classList.remove("rd-cur");
    state.cur = Math.max(0, Math.min(t, spans.length - 1));
    if (!spans.length) { state.cur = -1; show(-1); return; }
    const span = spans[state.cur];
    span.classList.add("rd-cur");
    span.scrollIntoView({ block: "nearest", inline: "nearest" });
    show(state.cur, span);
  }

  function update() {
    const t0 = performance.now();
    let chars = Array.from(input.value);
    let note = "";
    if (chars.length > MAX_CHARS) {
      note = `The reader shows the first ${MAX_CHARS} of your ${chars.length} characters.`;
      chars = chars.slice(0, MAX_CHARS);
    }
    const before = trace.chars.length;
    const from = trace.setText(chars);
    if (from === chars.length && before === chars.length && root.dataset.chars) return; // nothing changed
    if (state.cur >= chars.length) state.cur = -1;
    render(from, false);
    if (state.shown >= from) { // the character read out was run again: its values may have changed
      tip.hidden = true;
      show(state.shown < chars.length ? state.shown : -1);
    }
    void view.offsetHeight; // the layout is part of the update's time
    const ms = performance.now() - t0;
    root.dataset.lastUpdateMs = ms.toFixed(3);
    root.dataset.recomputed = String(chars.length - from);
    root.dataset.chars = String(chars.length);
    if (note || sampleStatus.dataset.note) {
      sampleStatus.textContent = note;
      sampleStatus.dataset.note = note ? "1" : "";
    }
  }

  function repaint() {
    const t0 = performance.now();
    render(trace.chars.length, true);
    root.dataset.lastUpdateMs = (performance.now() - t0).toFixed(3);
    root.dataset.recomputed = "0";
    if (state.shown >= 0) show(state.shown, tip.hidden ? null : view.children[state.shown]);
  }

  // ---------------------------------------------------------------------------------------------- events
  input.addEventListener("input", update);
  // JupyterLab 4 cancels the line break that Enter inserts in any text field inside a notebook cell (it guards cells
  // against Shift+Enter's); the reader inserts it itself, as typed text, which keeps the browser's undo.
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.ctrlKey || e.altKey || e.metaKey || e.isComposing) return;
    e.preventDefault();
    if (!(document.execCommand && document.execCommand("insertText", false, "\n"))) {
      input.setRangeText("\n", input.selectionStart, input.selectionEnd, "end");
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  const caret = () => {
    const at = Array.from(input.value.slice(0, input.selectionStart)).length - 1; // the character before the caret
    show(Math.min(at, trace.chars.length - 1));
  };
  const NAVIGATION = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"];
  input.addEventListener("keyup", (e) => { if (NAVIGATION.includes(e.key)) caret(); }); // not on every typed key
  input.addEventListener("click", caret);
  quantity.addEventListener("change", () => { state.quantity = quantity.value; repaint(); });
  unit.addEventListener("change", () => { state.unit = Number(unit.value); repaint(); });
  view.addEventListener("mouseover", (e) => {
    const span = e.target.closest("[data-char-index]");
    if (span && view.contains(span)) show(Number(span.dataset.charIndex), span);
  });
  view.addEventListener("mouseleave", () => { if (document.activeElement !== view) tip.hidden = true; });
  view.addEventListener("focus", () => setCursor(state.cur < 0 ? 0 : state.cur));
  view.addEventListener("blur", () => { tip.hidden = true; });
  view.addEventListener("keydown", (e) => {
    const chars = trace.chars;
    let t = state.cur;
    if (e.key === "ArrowRight") t += 1;
    else if (e.key === "ArrowLeft") t -= 1;
    else if (e.key === "Home") t = 0;
    else if (e.key === "End") t = chars.length - 1;
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      // the first character of the line that holds character k (a newline belongs to the line it ends)
      const lineStart = (k) => (k <= 0 ? 0 : chars.lastIndexOf("\n", k - 1) + 1);
      const start = lineStart(t);
      const col = t - start;
      if (e.key === "ArrowDown") {
        const next = chars.indexOf("\n", t); // the end of this line
        if (next < 0 || next + 1 >= chars.length) return;
        const end = chars.indexOf("\n", next + 1);
        t = Math.min(next + 1 + col, end < 0 ? chars.length - 1 : end);
      } else {
        if (start === 0) return;
        t = Math.min(lineStart(start - 1) + col, start - 1);
      }
    } else if (e.key === "Escape") {
      tip.hidden = true;
      return;
    } else {
      return;
    }
    e.preventDefault();
    setCursor(t);
  });
  temp.addEventListener("input", () => { tempOut.textContent = Number(temp.value).toFixed(2); });
  sampleButton.addEventListener("click", () => {
    const T = Number(temp.value);
    const s = Math.max(0, Math.floor(Number(seed.value) || 0));
    update(); // the trace holds the text as it is now
    if (trace.chars.length >= MAX_CHARS) return;
    const n = Math.min(config.sample_length, MAX_CHARS - trace.chars.length);
    const drawn = sampleInto(trace, n, T, s);
    input.value += drawn.join("");
    update();
    sampleStatus.textContent = `Added ${n} characters sampled at temperature ${T.toFixed(2)} with seed ${s}; `
      + `the seed is now ${s + 1}.`;
    seed.value = String(s + 1);
  });

  // ---------------------------------------------------------------------------------------------- start
  quantity.value = state.quantity;
  unit.value = String(state.unit);
  tempOut.textContent = Number(temp.value).toFixed(2);
  input.value = config.text;
  update();
  root.dataset.ready = "true";
  return { state, trace, update };
}
