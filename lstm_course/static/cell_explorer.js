// The cell explorer's state and controls: range inputs for x_t, h_{t-1}, c_{t-1} and every gate's weights and
// bias, presets, a sequence mode (step through a sequence, strip chart, optionally two units) and a table of the
// current values for screen readers. The math is lstm_cell.js's, the pictures cell_drawing.js's; this file only
// wires controls to them. lstm_course/live_cell.py builds the configuration (presets included) and the page.
//
// What tests read: every control is an <input data-input="NAME"> (NAME from the notation: x_t, h_prev, c_prev,
// W_f_h, W_f_x, b_f, ... for f, i, c, o); every shown quantity carries data-quantity="NAME" and data-value with
// every digit (f_t, i_t, c_tilde, o_t, c_t, h_t, and x_t, h_prev, c_prev).

import { affine, forget_path_product, lstm_sequence } from "./lstm_cell.js";
import { createDiagram, createStripChart, fmt, STRIP_ROWS, updateDiagram, updateStripChart } from "./cell_drawing.js";

/** The gates in the book's order, with their names and symbols. */
export const GATES = [
  { key: "f", name: "Forget gate", out: "f_t" },
  { key: "i", name: "Input gate", out: "i_t" },
  { key: "c", name: "Candidate", out: "c~_t" },
  { key: "o", name: "Output gate", out: "o_t" },
];

/** Every control's name, in the order the panel shows them. */
export const PARAM_NAMES = ["x_t", "h_prev", "c_prev",
  ...GATES.flatMap(({ key }) => [`W_${key}_h`, `W_${key}_x`, `b_${key}`])];

const STATE_NAMES = ["x_t", "h_prev", "c_prev"];
const TABLE_ROWS = ["x_t", "h_prev", "c_prev", "f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t"];
const SYMBOL_HTML = {
  x_t: "x<sub>t</sub>", h_prev: "h<sub>t\u22121</sub>", c_prev: "c<sub>t\u22121</sub>", f_t: "f<sub>t</sub>",
  i_t: "i<sub>t</sub>", c_tilde: "c\u0303<sub>t</sub>", c_t: "c<sub>t</sub>", o_t: "o<sub>t</sub>",
  h_t: "h<sub>t</sub>",
};
const PLAY_MS = 700;
const MAX_STEPS = 30;

/** The label (HTML) of a control, e.g. "W<sub>f</sub> on h<sub>t-1</sub>". */
function controlLabel(name) {
  if (SYMBOL_HTML[name]) return SYMBOL_HTML[name];
  const [kind, gate, on] = name.split("_");
  if (kind === "b") return `b<sub>${gate}</sub> (bias)`;
  return `W<sub>${gate}</sub> on ${on === "h" ? SYMBOL_HTML.h_prev : SYMBOL_HTML.x_t}`;
}

/** What a screen reader adds to a control's visible label, e.g. "Forget gate weight on h t-1 (W_f_h)". */
function controlDescription(name) {
  const plain = { x_t: "input x t", h_prev: "previous hidden state h t-1", c_prev: "previous cell state c t-1" };
  if (plain[name]) return `${plain[name]} (${name})`;
  const [kind, gate, on] = name.split("_");
  const g = GATES.find((x) => x.key === gate).name;
  if (kind === "b") return `${g} bias (${name})`;
  return `${g} weight on ${on === "h" ? "h t-1" : "x t"} (${name})`;
}

/** A control's name as the notes write it: "W_f on x", "W_o on h", "b_o". */
function plainName(name) {
  const [kind, gate, on] = name.split("_");
  return kind === "W" ? `W_${gate} on ${on}` : name;
}

/**
 * The value of `name` for the k-th unit shown at one step. x_t is the one input both units read (I = 1): it has
 * one entry, not one per unit.
 */
export function valueOf(step, name, k) {
  return name === "x_t" ? step.x_t[0] : step[name][k];
}

/** A new HTML element with attributes and children (strings become text). */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "html") e.innerHTML = v;
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

/**
 * The cell weights of `units` one-unit parameter sets (H = units, I = 1) in lstm_cell.js's form. Each unit's
 * recurrent weight acts on its own h_{t-1} only: the weights between units are zero (W_* is diagonal on h).
 */
export function cellWeights(units) {
  const H = units.length;
  const weights = {};
  for (const { key } of GATES) {
    weights[`W_${key}`] = units.map((p, u) => [...units.map((_, v) => (u === v ? p[`W_${key}_h`] : 0)),
      p[`W_${key}_x`]]); // (H, H + 1)
    weights[`b_${key}`] = units.map((p) => p[`b_${key}`]); // (H)
  }
  return weights;
}

/** Parses a typed sequence: numbers separated by spaces, commas or semicolons. Returns {xs} or {error}. */
export function parseSequence(text, [lo, hi]) {
  const parts = text.split(/[\s,;]+/).filter((s) => s.length);
  if (!parts.length) return { error: "Type at least one number, e.g. 1 0 0 -1 1." };
  if (parts.length > MAX_STEPS) return { error: `At most ${MAX_STEPS} numbers; you typed ${parts.length}.` };
  const xs = [];
  for (const s of parts) {
    const v = Number(s.replace("\u2212", "-"));
    if (!Number.isFinite(v)) return { error: `"${s}" is not a number.` };
    if (v < lo || v > hi) return { error: `${s} is outside the range of x_t, ${lo} to ${hi}.` };
    xs.push(v);
  }
  return { xs };
}

/**
 * The element with id `id`: in the document, or else inside an open shadow root (where some notebook front ends
 * may render outputs). null when there is none.
 */
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
 * Builds an explorer inside `root` from `config` (lstm_course.live_cell builds it):
 * {mode: "step"|"sequence", units: [params of unit 1, params of unit 2], two_units, presets, sequences,
 *  sequence (a name of sequences or null), xs (the sequence), step, rows (strip chart rows), ranges, title,
 *  note (the line under the sequence controls; null: the sequence preset's own)}.
 */
export function mount(root, config) {
  const id = root.id || `lx-${Math.random().toString(36).slice(2, 10)}`;
  const state = {
    mode: config.mode,
    units: config.units.map((p) => ({ ...p })),
    twoUnits: !!config.two_units,
    shown: 0, // the unit the diagram and the controls show (0-based)
    xs: config.xs.slice(),
    t: config.step || 1,
    timer: null,
  };
  root.replaceChildren();
  root.classList.add("lx");
  const ranges = config.ranges;
  const rangeOf = (name) => ranges[name] || ranges[name[0]]; // "W_f_h" -> ranges.W, "b_f" -> ranges.b

  // ---------------------------------------------------------------------------------------------- layout
  if (config.title) root.append(el("p", { class: "lx-title" }, config.title));
  const modeBar = el("div", { class: "lx-bar", role: "radiogroup", "aria-label": "Mode" });
  for (const [value, text] of [["step", "One step"], ["sequence", "A sequence"]]) {
    const input = el("input", { type: "radio", name: `${id}-mode`, value, id: `${id}-mode-${value}`,
      "data-input": "mode", checked: state.mode === value });
    modeBar.append(el("label", { class: "lx-choice", for: `${id}-mode-${value}` }, input, ` ${text}`));
  }
  const presetBar = el("div", { class: "lx-bar lx-presets", role: "group", "aria-label": "Presets" },
    el("span", { class: "lx-muted" }, "Presets: "));
  for (const name of Object.keys(config.presets)) {
    presetBar.append(el("button", { type: "button", "data-preset": name, title: config.presets[name].note || "" },
      name));
  }
  root.append(modeBar, presetBar);

  // The diagram and, in sequence mode, the strip chart stay in view (CSS: sticky) while the controls below scroll.
  const figure = el("div", { class: "lx-figure" });
  root.append(figure);
  const diagram = createDiagram(figure, id);
  const stripBox = el("div", { class: "lx-stripbox" });
  root.append(stripBox);
  const sizes = new ResizeObserver(() => {
    root.style.setProperty("--lx-figure-height", `${figure.offsetHeight}px`);
    root.style.setProperty("--lx-strip-height", `${stripBox.offsetHeight}px`);
  });
  sizes.observe(figure);
  sizes.observe(stripBox);
  root.append(el("p", { class: "lx-legend lx-muted" },
    "Blue wires carry positive values, orange negative ones; the thicker and stronger, the larger. Gate wires "
    + "(f, i, o in 0 to 1) are stronger the more open the gate. z is a gate's pre-activation. The wide band along "
    + "the top is the cell state, c\u209c\u208b\u2081 to c\u209c."));

  // the sequence panel (sequence mode only)
  const seqPanel = el("div", { class: "lx-seq" });
  const seqSelect = el("select", { id: `${id}-seqname`, "data-input": "sequence-preset" });
  for (const name of Object.keys(config.sequences)) seqSelect.append(el("option", { value: name }, name));
  seqSelect.append(el("option", { value: "" }, "(typed)"));
  const seqText = el("input", { type: "text", id: `${id}-seqtext`, "data-input": "sequence", inputmode: "decimal",
    size: 40, spellcheck: "false", "aria-describedby": `${id}-seqhelp` });
  const seqStatus = el("span", { class: "lx-status", role: "status", id: `${id}-seqhelp` });
  const twoUnits = el("input", { type: "checkbox", id: `${id}-two`, "data-input": "two_units" });
  const unitBar = el("span", { class: "lx-units", role: "radiogroup", "aria-label": "Unit shown and edited" });
  for (const u of [0, 1]) {
    const r = el("input", { type: "radio", name: `${id}-unit`, value: String(u + 1), id: `${id}-unit-${u + 1}`,
      "data-input": "unit", checked: u === 0 });
    unitBar.append(el("label", { class: "lx-choice", for: `${id}-unit-${u + 1}` }, r, ` unit ${u + 1}`));
  }
  const prev = el("button", { type: "button", "data-action": "prev", "aria-label": "previous step" }, "\u25c0 prev");
  const play = el("button", { type: "button", "data-action": "play", "aria-pressed": "false" }, "\u25b6 play");
  const next = el("button", { type: "button", "data-action": "next", "aria-label": "next step" }, "next \u25b6");
  const stepInput = el("input", { type: "range", id: `${id}-step`, "data-input": "step", min: 1, step: 1 });
  const stepOut = el("output", { for: `${id}-step`, class: "lx-stepout" });
  seqPanel.append(
    el("div", { class: "lx-bar" }, el("label", { for: `${id}-seqname` }, "Sequence: "), seqSelect, " ",
      el("label", { for: `${id}-seqtext` }, "or type up to 30 numbers: "), seqText),
    el("div", { class: "lx-bar" }, seqStatus),
    el("div", { class: "lx-bar" }, prev, play, next, " ", el("label", { for: `${id}-step` }, "step "), stepInput,
      stepOut),
    el("div", { class: "lx-bar" }, el("label", { class: "lx-choice", for: `${id}-two` }, twoUnits, " two units"),
      " ", unitBar),
    el("p", { class: "lx-muted lx-note" }, "The sequence starts from h\u2080 = c\u2080 = 0. Moving x\u209c changes "
      + "this step's input; the weights act at every step. With two units, each unit's recurrent weight sees "
      + "its own h\u209c\u208b\u2081 only."),
  );
  const rows = config.rows.filter((r) => STRIP_ROWS[r]);
  const strip = createStripChart(stripBox, rows, id);
  root.append(seqPanel);

  // the controls
  const controls = {};
  const outputs = {};
  const grid = el("div", { class: "lx-controls" });
  const groups = [{ name: "State", names: STATE_NAMES },
    ...GATES.map((g) => ({ name: g.name, names: [`W_${g.key}_h`, `W_${g.key}_x`, `b_${g.key}`] }))];
  for (const group of groups) {
    const fs = el("fieldset", {}, el("legend", {}, group.name));
    for (const name of group.names) {
      const [lo, hi] = rangeOf(name);
      const input = el("input", { type: "range", id: `${id}-${name}`, "data-input": name, min: lo, max: hi,
        step: "any" });
      const out = el("output", { for: `${id}-${name}` });
      fs.append(el("div", { class: "lx-row" }, el("label", { for: `${id}-${name}`, html: controlLabel(name) },
        el("span", { class: "lx-sr" }, `, ${controlDescription(name)}`)),
        input, out));
      controls[name] = input;
      outputs[name] = out;
    }
    grid.append(fs);
  }
  root.append(grid);

  // the text alternative: a table of the current values, announced politely as it changes
  const caption = el("caption", {});
  const thead = el("thead", {});
  const tbody = el("tbody", {});
  const table = el("table", { class: "lx-table" }, caption, thead, tbody);
  root.append(el("div", { class: "lx-tablebox", "aria-live": "polite" }, table));

  // ---------------------------------------------------------------------------------------------- compute
  const shownParams = () => state.units[state.shown];

  /** Every step to show: [{x_t, h_prev, c_prev, f_t, ...}] per unit, per step; and the pre-activations. */
  function compute() {
    if (state.mode === "step") {
      const p = shownParams();
      const w = cellWeights([p]);
      const [s] = lstm_sequence([[p.x_t]], [p.h_prev], [p.c_prev], w);
      return { units: [state.shown], steps: [s], weights: w };
    }
    const units = state.twoUnits ? [0, 1] : [state.shown];
    const w = cellWeights(units.map((u) => state.units[u]));
    const zeros = units.map(() => 0);
    const steps = lstm_sequence(state.xs.map((x) => [x]), zeros, zeros, w);
    return { units, steps, weights: w };
  }

  function preactivations(step, w, k) {
    const z = {};
    for (const { key } of GATES) z[key] = affine(step.h_prev, step.x_t, w[`W_${key}`], w[`b_${key}`])[k];
    return z;
  }

  // ---------------------------------------------------------------------------------------------- render
  /** Sets every control to the state's value; in sequence mode x_t, h_prev, c_prev show the step's (`shown`). */
  function renderControls(shown) {
    const p = shownParams();
    const inSequence = state.mode === "sequence";
    for (const name of PARAM_NAMES) {
      const input = controls[name];
      const v = inSequence && STATE_NAMES.includes(name) ? shown[name] : p[name];
      const disabled = inSequence && (name === "h_prev" || name === "c_prev"); // the previous step's outputs
      if (input.disabled !== disabled) input.disabled = disabled;
      // only what changed: writing a range input's value makes the browser lay it out again
      if (Number(input.value) !== v && (document.activeElement !== input || input.disabled)) input.value = String(v);
      const text = fmt(v);
      if (outputs[name].textContent !== text) outputs[name].textContent = text;
    }
  }

  let tableShape = ""; // the units shown, when the table was last built: rebuilt only when that changes
  const tableCells = {}; // quantity -> the <td> of each unit shown

  function renderTable(result) {
    const { units, steps } = result;
    const k = state.mode === "step" ? 0 : state.t - 1;
    const step = steps[k];
    caption.textContent = state.mode === "step" ? "Values of this step"
      : `Values at step ${state.t} of ${steps.length}` + (units.length > 1 ? ", both units" : "");
    const shape = `${units.join(",")}|${state.twoUnits}`;
    if (shape !== tableShape) {
      tableShape = shape;
      thead.replaceChildren(el("tr", {}, el("th", { scope: "col" }, "quantity"),
        ...units.map((u) => el("th", { scope: "col" },
          units.length > 1 || state.twoUnits ? `unit ${u + 1}` : "value"))));
      tbody.replaceChildren(...TABLE_ROWS.map((name) => {
        tableCells[name] = units.map((u) => el("td", { "data-quantity": name, "data-unit": u + 1 }));
        return el("tr", {}, el("th", { scope: "row", html: SYMBOL_HTML[name] }), ...tableCells[name]);
      }));
    }
    for (const name of TABLE_ROWS) {
      tableCells[name].forEach((td, j) => {
        const v = valueOf(step, name, j);
        td.dataset.value = String(v);
        td.textContent = fmt(v);
      });
    }
  }

  function update() {
    const result = compute();
    const { units, steps, weights } = result;
    const inSequence = state.mode === "sequence";
    const T = steps.length;
    state.t = Math.min(Math.max(1, state.t), T);
    const k = inSequence ? state.t - 1 : 0;
    const j = Math.max(0, units.indexOf(state.shown));
    const step = steps[k];
    const one = {};
    for (const name of TABLE_ROWS) one[name] = valueOf(step, name, j);
    updateDiagram(diagram, one, preactivations(step, weights, j), units[j] + 1);
    renderControls(one);
    renderTable(result);
    root.dataset.mode = state.mode;
    root.dataset.step = String(inSequence ? state.t : 1);
    root.dataset.steps = String(inSequence ? T : 1);
    root.dataset.units = String(inSequence && state.twoUnits ? 2 : 1);
    if (seqPanel.hidden === inSequence) seqPanel.hidden = !inSequence;
    if (stripBox.hidden === inSequence) stripBox.hidden = !inSequence;
    renderNote();
    if (presetBar.hidden !== inSequence) presetBar.hidden = inSequence;
    if (unitBar.hidden === state.twoUnits) unitBar.hidden = !state.twoUnits;
    if (inSequence) {
      stepInput.max = String(T);
      stepInput.value = String(state.t);
      stepOut.textContent = `${state.t} of ${T}`;
      prev.disabled = state.t <= 1;
      next.disabled = state.t >= T;
      const belt = forget_path_product(steps.map((s) => s.f_t));
      const series = units.map((_, u) => {
        const s = {};
        for (const r of rows) {
          if (r === "belt") s[r] = belt.map((b) => b[u]);
          else s[r] = steps.map((st) => (r === "x_t" ? st.x_t[0] : st[r][u])); // one input, shared by the units
        }
        return s;
      });
      updateStripChart(strip, series, state.t);
    }
  }

  // ---------------------------------------------------------------------------------------------- the note
  // A note describes the settings it came with (e.g. "the output gate is closed (b_o = -6)"). Once the reader
  // changes those settings it says so, and names what changed and its value now, so it is never read as the state.
  const note = { text: "", units: [], xs: [], error: "", describes: true };

  /** `describes`: the text describes the current settings (false for a plain status such as "8 steps."). */
  function setNote(text, describes = true) {
    note.text = text;
    note.describes = describes;
    note.units = state.units.map((p) => ({ ...p }));
    note.xs = state.xs.slice();
    note.error = "";
  }

  function changedSince() {
    const changed = [];
    const units = state.twoUnits ? [0, 1] : [0];
    for (const u of units) {
      for (const name of PARAM_NAMES.slice(STATE_NAMES.length)) {
        if (Math.abs(state.units[u][name] - note.units[u][name]) > 1e-9) {
          changed.push(`${plainName(name)}${units.length > 1 ? ` of unit ${u + 1}` : ""} is now `
            + fmt(state.units[u][name]));
        }
      }
    }
    if (state.xs.length !== note.xs.length || state.xs.some((x, k) => x !== note.xs[k])) {
      changed.push("the input sequence is now different");
    }
    return changed;
  }

  function renderNote() {
    let text = note.error || note.text;
    const changed = note.error || !note.text || !note.describes ? [] : changedSince();
    if (changed.length) {
      text = `At the settings this explorer opened with: ${note.text} You changed them since: `
        + `${changed.slice(0, 3).join("; ")}${changed.length > 3 ? `; and ${changed.length - 3} more` : ""}.`;
    }
    if (seqStatus.textContent !== text) seqStatus.textContent = text;
    seqStatus.dataset.stale = changed.length ? "true" : "false";
  }

  // ---------------------------------------------------------------------------------------------- events
  function stopPlaying() {
    if (state.timer !== null) clearInterval(state.timer);
    state.timer = null;
    play.setAttribute("aria-pressed", "false");
    play.textContent = "\u25b6 play";
  }

  function loadSequence(name) {
    const s = config.sequences[name];
    state.xs = s.xs.slice();
    s.units.forEach((p, u) => { state.units[u] = { ...state.units[u], ...p }; });
    state.twoUnits = s.units.length > 1;
    twoUnits.checked = state.twoUnits;
    state.t = 1;
    seqText.value = state.xs.join(" ");
    setNote(s.note || "");
  }

  // Where each gate's block sits across the diagram (0 to 1): on a phone the diagram is wider than the screen, and
  // dragging a gate's control scrolls that gate into view.
  const GATE_AT = { f: 0.285, i: 0.41, c: 0.525, o: 0.652, x: 0.2, h: 0.05 };
  function showPartOf(name) {
    if (figure.scrollWidth <= figure.clientWidth + 1) return;
    const key = name.startsWith("W_") || name.startsWith("b_") ? name.split("_")[1] : name[0];
    if (!(key in GATE_AT)) return;
    figure.scrollLeft = GATE_AT[key] * figure.scrollWidth - figure.clientWidth / 2;
  }

  root.addEventListener("input", (e) => {
    const name = e.target.dataset.input;
    if (PARAM_NAMES.includes(name)) showPartOf(name);
    if (name === "step") {
      state.t = Number(e.target.value);
    } else if (PARAM_NAMES.includes(name)) {
      const v = Number(e.target.value);
      if (state.mode === "sequence" && name === "x_t") state.xs[state.t - 1] = v;
      else shownParams()[name] = v;
    } else {
      return;
    }
    update();
  });

  root.addEventListener("change", (e) => {
    const name = e.target.dataset.input;
    if (name === "mode") {
      stopPlaying();
      state.mode = e.target.value;
    } else if (name === "sequence-preset") {
      if (!e.target.value) return;
      stopPlaying();
      loadSequence(e.target.value);
    } else if (name === "sequence") {
      const parsed = parseSequence(e.target.value, rangeOf("x_t"));
      if (parsed.error) {
        note.error = parsed.error;
        renderNote();
        return;
      }
      stopPlaying();
      state.xs = parsed.xs;
      state.t = 1;
      seqSelect.value = "";
      setNote(`${parsed.xs.length} steps.`, false);
    } else if (name === "two_units") {
      state.twoUnits = e.target.checked;
      if (!state.twoUnits) state.shown = 0;
      root.querySelector(`#${id}-unit-${state.shown + 1}`).checked = true;
    } else if (name === "unit") {
      state.shown = Number(e.target.value) - 1;
    } else {
      return;
    }
    update();
  });

  root.addEventListener("click", (e) => {
    const button = e.target.closest("button");
    if (!button || !root.contains(button)) return;
    if (button.dataset.preset) {
      Object.assign(shownParams(), config.presets[button.dataset.preset].params);
    } else if (button.dataset.action === "prev") {
      stopPlaying();
      state.t -= 1;
    } else if (button.dataset.action === "next") {
      stopPlaying();
      state.t += 1;
    } else if (button.dataset.action === "play") {
      if (state.timer !== null) {
        stopPlaying();
        return;
      }
      if (state.t >= state.xs.length) state.t = 0;
      play.setAttribute("aria-pressed", "true");
      play.textContent = "\u23f8 pause";
      state.t += 1;
      state.timer = setInterval(() => {
        if (!root.isConnected || state.t >= state.xs.length) {
          stopPlaying();
          return;
        }
        state.t += 1;
        update();
      }, PLAY_MS);
    } else {
      return;
    }
    update();
  });

  if (config.sequence) {
    seqSelect.value = config.sequence;
    setNote(config.note ?? (config.sequences[config.sequence].note || ""));
  } else {
    setNote(config.note ?? "");
    seqSelect.value = "";
  }
  seqText.value = state.xs.join(" ");
  twoUnits.checked = state.twoUnits;
  update();
  return { state, update };
}
