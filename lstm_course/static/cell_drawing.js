// Drawing for the cell explorer: the LSTM cell diagram and the strip chart, as SVG. No state, no controls:
// cell_explorer.js owns those and calls update...() with numbers from lstm_cell.js.
//
// The diagram has the layout of lstm_course.viz.draw_cell (same coordinates, y up there, y down here): the inputs
// enter at the bottom left, the concatenation [h_{t-1}, x_t] feeds four gate blocks along a bus, the cell state
// runs along the top from c_{t-1} to c_t (the conveyor belt, drawn wider than the rest), h_t leaves at the bottom
// right. Every wire carries its current value. Colour encodes sign (blue positive, orange negative) and thickness
// and strength encode magnitude; the gate wires (values in (0, 1)) are drawn stronger the more open the gate is.
// Colours come from CSS variables (cell_explorer.css), so light and dark themes need no change here.

const SVG_NS = "http://www.w3.org/2000/svg";
const UNIT = 48; // pixels per unit of draw_cell's data coordinates
const X0 = -0.9; // draw_cell's xlim and ylim
const X1 = 14.9;
const Y0 = -1.15;
const Y1 = 7.6;

/** Pixel x of draw_cell's data x. */
function px(x) {
  return (x - X0) * UNIT;
}

/** Pixel y of draw_cell's data y (y grows downwards in SVG). */
function py(y) {
  return (Y1 - y) * UNIT;
}

/** A new SVG element with attributes, appended to parent when given. */
export function svg(tag, attrs, parent) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

/** Writes a symbol such as "h_{t-1}" or "c~_t" into an SVG <text>: the base, then the subscript smaller and lower. */
function writeSymbol(textEl, symbol) {
  const m = /^([^_]+)(?:_\{?([^}]*)\}?)?$/.exec(symbol);
  const base = m[1].replace("~", "\u0303"); // c~ -> c with a combining tilde
  textEl.appendChild(document.createTextNode(base));
  if (m[2]) {
    const sub = svg("tspan", { "baseline-shift": "sub", "font-size": "75%" }, textEl);
    sub.textContent = m[2].replace("-", "\u2212");
  }
}

/** Two decimals and a real minus sign: what the reader sees (data-value keeps every digit). */
export function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  const s = Math.abs(v) < 0.005 ? "0.00" : Math.abs(v).toFixed(2);
  return (v < 0 && s !== "0.00" ? "\u2212" : "") + s;
}

/** Stroke style of a signed value: colour by sign, width and opacity by size (|v| of 1 or more is full). */
function signedStroke(el, v, base, extra) {
  const m = Math.min(1, Math.abs(v));
  el.style.stroke = v < 0 ? "var(--lx-neg)" : "var(--lx-pos)";
  el.style.strokeWidth = String(base + extra * m);
  el.style.strokeOpacity = String(0.35 + 0.65 * m);
}

/** Stroke style of a gate value in (0, 1): the gate colour, stronger and wider the more open. */
function gateStroke(el, g, base, extra) {
  el.style.stroke = "var(--lx-gate)";
  el.style.strokeWidth = String(base + extra * g);
  el.style.strokeOpacity = String(0.25 + 0.75 * g);
}

/** A polyline wire through data points [[x, y], ...]; an arrowhead at the end unless arrow is false. */
function wire(g, pts, { arrow = true, dashed = false, cls = "" } = {}) {
  const el = svg("polyline", {
    points: pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" "),
    class: `lx-wire ${cls}`.trim(),
    fill: "none",
  }, g);
  if (arrow) el.setAttribute("marker-end", `url(#${g.ownerSVGElement.dataset.arrowId})`);
  if (dashed) el.setAttribute("stroke-dasharray", "7 5");
  return el;
}

/** A rounded block (gate or tanh) centred at data (x, y), with a label. */
function block(g, [x, y], text, { w = 0.9, h = 0.7, cls = "" } = {}) {
  svg("rect", {
    x: px(x - w / 2), y: py(y + h / 2), width: w * UNIT, height: h * UNIT, rx: 6,
    class: `lx-block ${cls}`.trim(),
  }, g);
  const t = svg("text", { x: px(x), y: py(y), class: "lx-sym", "text-anchor": "middle", "dominant-baseline": "central" }, g);
  t.textContent = text;
}

/** A circle node (product or sum) at data (x, y). */
function node(g, [x, y], text) {
  svg("circle", { cx: px(x), cy: py(y), r: 0.28 * UNIT, class: "lx-node" }, g);
  const t = svg("text", { x: px(x), y: py(y), class: "lx-sym", "text-anchor": "middle", "dominant-baseline": "central" }, g);
  t.textContent = text;
}

/**
 * A value label "symbol = value" at data (x, y); anchor "start", "middle" or "end".
 * quantity: the data-quantity name (NOTATION.md) when the tests should read it, else null.
 */
function label(g, [x, y], symbol, { anchor = "start", quantity = null, small = false, baseline = "central" } = {}) {
  const t = svg("text", {
    x: px(x), y: py(y), class: small ? "lx-label lx-small" : "lx-label", "text-anchor": anchor,
    "dominant-baseline": baseline,
  }, g);
  writeSymbol(t, symbol);
  const value = svg("tspan", {}, t);
  value.textContent = " = ";
  if (quantity) t.setAttribute("data-quantity", quantity);
  return { text: t, value };
}

/**
 * Builds the cell diagram inside `container` and returns its handle for updateDiagram().
 * idPrefix: a page-unique prefix for the SVG's ids (arrow marker, title).
 */
export function createDiagram(container, idPrefix) {
  const root = svg("svg", {
    viewBox: `0 0 ${((X1 - X0) * UNIT).toFixed(1)} ${((Y1 - Y0) * UNIT).toFixed(1)}`,
    class: "lx-diagram", role: "img", "aria-labelledby": `${idPrefix}-dtitle`,
  }, container);
  root.dataset.arrowId = `${idPrefix}-arrow`;
  const title = svg("title", { id: `${idPrefix}-dtitle` }, root);
  title.textContent = "Diagram of the LSTM cell for one time step, with the current value on every wire "
    + "(the table below lists the same values).";
  const defs = svg("defs", {}, root);
  const marker = svg("marker", {
    id: `${idPrefix}-arrow`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 11, markerHeight: 11,
    orient: "auto-start-reverse", markerUnits: "userSpaceOnUse",
  }, defs);
  svg("path", { d: "M 0 1 L 10 5 L 0 9 z", class: "lx-arrowhead" }, marker);

  const g = svg("g", {}, root);
  // draw_cell's coordinates
  const yc = 5.9, yb = 1.6, yg = 3.2, yh = 1.0; // cell path, gate bus, gates, hidden out
  const xf = 3.6, xi = 5.6, xg = 7.4, xo = 9.4, xm = 10.8; // gates' x, the h multiplier's x
  const yig = 4.55, yo = 3.95; // the i * c~ node; the o_t wire's bend
  const xr = 12.3, xend = 14.7; // the frame's right edge; the arrows' ends

  svg("rect", { x: px(1.0), y: py(6.8), width: 11.3 * UNIT, height: 6.3 * UNIT, rx: 18, class: "lx-frame" }, g);
  const caption = svg("text", { x: px(10.55), y: py(0.65), class: "lx-caption", "text-anchor": "end" }, g);
  caption.textContent = "LSTM cell, step t";

  const w = {}; // wires, by the quantity they carry
  const lab = {}; // value labels, by quantity
  // the conveyor belt first, under everything: a wide band from c_{t-1} to c_t
  svg("polyline", {
    points: [[-0.6, yc], [xend, yc]].map(([x, y]) => `${px(x)},${py(y)}`).join(" "), class: "lx-belt-band",
    fill: "none",
  }, g);
  w.c_prev = wire(g, [[-0.6, yc], [xf - 0.28, yc]], { cls: "lx-belt" });
  w.f_c_prev = wire(g, [[xf + 0.28, yc], [xg - 0.28, yc]], { cls: "lx-belt" });
  w.c_t = wire(g, [[xg + 0.28, yc], [xr, yc]], { arrow: false, cls: "lx-belt" });
  w.c_t_next = wire(g, [[xr, yc], [xend, yc]], { dashed: true, cls: "lx-belt" });

  // inputs and the concatenation
  w.h_prev = wire(g, [[-0.6, yb], [1.55, yb]]);
  w.x_t = wire(g, [[2.3, -0.9], [2.3, yb - 0.35]]);
  w.bus = wire(g, [[3.05, yb], [xo, yb]], { arrow: false, cls: "lx-neutral" });
  block(g, [2.3, yb], "[h, x]", { w: 1.5 });
  const risers = {};
  for (const [x, gate] of [[xf, "f"], [xi, "i"], [xg, "c"], [xo, "o"]]) {
    risers[gate] = wire(g, [[x, yb], [x, yg - 0.35]], { cls: "lx-neutral" });
  }
  // gates
  block(g, [xf, yg], "\u03c3", { cls: "lx-gate-f" });
  block(g, [xi, yg], "\u03c3", { cls: "lx-gate-i" });
  block(g, [xg, yg], "tanh", { w: 1.0, cls: "lx-gate-c" });
  block(g, [xo, yg], "\u03c3", { cls: "lx-gate-o" });

  // the cell path's nodes: c_{t-1} -> (*) -> (+) -> c_t
  w.f_t = wire(g, [[xf, yg + 0.35], [xf, yc - 0.28]]);
  w.i_t = wire(g, [[xi, yg + 0.35], [xi, yig], [xg - 0.28, yig]]);
  w.c_tilde = wire(g, [[xg, yg + 0.35], [xg, yig - 0.28]]);
  w.i_c_tilde = wire(g, [[xg, yig + 0.28], [xg, yc - 0.28]]);
  node(g, [xf, yc], "\u2299");
  node(g, [xg, yig], "\u2299");
  node(g, [xg, yc], "+");

  // output: tanh(c_t), o_t, h_t
  w.tanh_in = wire(g, [[xm, yc], [xm, 5.55]], { cls: "lx-neutral" });
  block(g, [xm, 5.2], "tanh", { w: 1.0 });
  w.tanh_c_t = wire(g, [[xm, 4.85], [xm, yg + 0.28]]);
  w.o_t = wire(g, [[xo, yg + 0.35], [xo, yo], [xm - 0.6, yo], [xm - 0.6, yg], [xm - 0.28, yg]]);
  node(g, [xm, yg], "\u2299");
  w.h_t = wire(g, [[xm, yg - 0.28], [xm, yh], [xr, yh]], { arrow: false });
  w.h_t_next = wire(g, [[xr, yh], [xend, yh]], { dashed: true });
  w.h_t_out = wire(g, [[11.6, yh], [11.6, -0.9]]);

  // labels (positions from draw_cell, nudged so that two decimals fit)
  lab.c_prev = label(g, [-0.6, yc + 0.42], "c_{t-1}", { quantity: "c_prev" });
  lab.h_prev = label(g, [-0.6, yb + 0.3], "h_{t-1}", { quantity: "h_prev" });
  lab.x_t = label(g, [2.45, -0.55], "x_t", { quantity: "x_t" });
  lab.f_c_prev = label(g, [(xf + xg) / 2, yc + 0.42], "f\u2299c_{t-1}", { anchor: "middle", small: true });
  lab.f_t = label(g, [xf - 0.12, 4.55], "f_t", { anchor: "end", quantity: "f_t" });
  lab.i_t = label(g, [xi - 0.12, 4.1], "i_t", { anchor: "end", quantity: "i_t" });
  lab.c_tilde = label(g, [xg + 0.12, 3.85], "c~_t", { quantity: "c_tilde" });
  lab.i_c_tilde = label(g, [xg + 0.12, 5.15], "i\u2299c~", { small: true });
  lab.tanh_c_t = label(g, [xm + 0.62, 4.3], "tanh c_t", { small: true });
  lab.o_t = label(g, [xm - 1.05, yo + 0.28], "o_t", { anchor: "middle", quantity: "o_t" });
  lab.c_t = label(g, [xr + 0.1, yc + 0.42], "c_t", { quantity: "c_t" });
  lab.h_t = label(g, [xr + 0.1, yh + 0.3], "h_t", { quantity: "h_t" });
  const zl = {};
  for (const [x, gate] of [[xf, "f"], [xi, "i"], [xg, "c"], [xo, "o"]]) {
    zl[gate] = label(g, [x + 0.1, 2.3], `z_${gate}`, { small: true });
  }
  const next1 = svg("text", { x: px(xr + 0.1), y: py(yc - 0.5), class: "lx-caption" }, g);
  next1.textContent = "\u2192 step t+1";
  const next2 = svg("text", { x: px(xr + 0.1), y: py(yh - 0.35), class: "lx-caption" }, g);
  next2.textContent = "\u2192 step t+1";
  return { root, wires: w, labels: lab, risers, preact: zl };
}

function setLabel(l, v, unit) {
  l.value.textContent = ` = ${fmt(v)}`;
  if (l.text.hasAttribute("data-quantity")) {
    l.text.setAttribute("data-value", String(v));
    l.text.setAttribute("data-unit", String(unit));
  }
}

/**
 * Shows one step of one unit on the diagram. s: {x_t, h_prev, c_prev, f_t, i_t, c_tilde, c_t, o_t, h_t} (numbers)
 * and z: the four pre-activations {f, i, c, o}; unit: which unit (1 or 2) the numbers belong to.
 */
export function updateDiagram(d, s, z, unit) {
  const w = d.wires;
  const tanh_c_t = Math.tanh(s.c_t);
  const f_c_prev = s.f_t * s.c_prev;
  const i_c_tilde = s.i_t * s.c_tilde;
  signedStroke(w.x_t, s.x_t, 1.5, 3);
  signedStroke(w.h_prev, s.h_prev, 1.5, 3);
  for (const [key, v] of [["c_prev", s.c_prev], ["f_c_prev", f_c_prev], ["c_t", s.c_t], ["c_t_next", s.c_t]]) {
    signedStroke(w[key], v, 3, 5); // the belt: wider than every other wire
  }
  for (const key of ["f_t", "i_t", "o_t"]) gateStroke(w[key], s[key], 1.5, 3);
  signedStroke(w.c_tilde, s.c_tilde, 1.5, 3);
  signedStroke(w.i_c_tilde, i_c_tilde, 1.5, 3);
  signedStroke(w.tanh_c_t, tanh_c_t, 1.5, 3);
  for (const key of ["h_t", "h_t_next", "h_t_out"]) signedStroke(w[key], s.h_t, 1.5, 3);
  for (const key of ["x_t", "h_prev", "c_prev", "f_t", "i_t", "c_tilde", "o_t", "c_t", "h_t"]) {
    setLabel(d.labels[key], s[key], unit);
  }
  setLabel(d.labels.f_c_prev, f_c_prev, unit);
  setLabel(d.labels.i_c_tilde, i_c_tilde, unit);
  setLabel(d.labels.tanh_c_t, tanh_c_t, unit);
  for (const gate of ["f", "i", "c", "o"]) setLabel(d.preact[gate], z[gate], unit);
}

// ------------------------------------------------------------------------------------------- the strip chart

/** The strip chart's rows: quantity, symbol, fixed range or null (fitted to the data, symmetric about 0). */
export const STRIP_ROWS = {
  x_t: { symbol: "x_t", range: null },
  f_t: { symbol: "f_t", range: [0, 1] },
  i_t: { symbol: "i_t", range: [0, 1] },
  o_t: { symbol: "o_t", range: [0, 1] },
  c_t: { symbol: "c_t", range: null },
  h_t: { symbol: "h_t", range: [-1, 1] },
  belt: { symbol: "\u220f f", range: [0, 1] }, // forget_path_product: how much of c_t reaches c_T
};

const ROW_H = 46;
const LEFT = 72;
const RIGHT = 14;
const WIDTH = 720;

/** Builds an empty strip chart with the given rows (keys of STRIP_ROWS) and returns its handle. */
export function createStripChart(container, rows, idPrefix) {
  const height = rows.length * ROW_H + 28;
  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${height}`, class: "lx-strip", role: "img", "aria-labelledby": `${idPrefix}-stitle`,
  }, container);
  const title = svg("title", { id: `${idPrefix}-stitle` }, root);
  title.textContent = "Strip chart: " + rows.map((r) => STRIP_ROWS[r].symbol.replace("_", "")).join(", ")
    + " over the steps of the sequence, the current step marked.";
  const layers = { grid: svg("g", {}, root), lines: svg("g", {}, root), marks: svg("g", {}, root) };
  const chart = { root, rows, height, layers, idPrefix, scales: {} };
  rows.forEach((key, r) => {
    const top = r * ROW_H + 6;
    svg("rect", { x: LEFT, y: top, width: WIDTH - LEFT - RIGHT, height: ROW_H - 12, class: "lx-strip-bg" }, layers.grid);
    const t = svg("text", { x: LEFT - 8, y: top + 11, class: "lx-label", "text-anchor": "end",
      "dominant-baseline": "central" }, layers.grid);
    writeSymbol(t, STRIP_ROWS[key].symbol);
    chart.scales[key] = svg("text", { x: LEFT - 8, y: top + ROW_H - 16, class: "lx-tick", "text-anchor": "end" },
      layers.grid);
  });
  return chart;
}

/**
 * Draws series on the strip chart. series[u][key] is the array over steps of row `key` for unit u (one or two
 * units; unit 2 dashed). t: the current step (1-based), marked by a vertical line.
 */
export function updateStripChart(chart, series, t) {
  const { rows, layers } = chart;
  const T = series[0][rows[0]].length;
  for (const layer of [layers.lines, layers.marks]) layer.replaceChildren();
  const xAt = (k) => LEFT + 10 + (T <= 1 ? 0 : (k * (WIDTH - LEFT - RIGHT - 20)) / (T - 1)); // k = 0..T-1
  rows.forEach((key, r) => {
    const top = r * ROW_H + 6;
    const h = ROW_H - 12;
    let [lo, hi] = STRIP_ROWS[key].range || [0, 0];
    if (!STRIP_ROWS[key].range) {
      const m = Math.max(1e-9, ...series.flatMap((s) => s[key].map(Math.abs)));
      const nice = m <= 1 ? 1 : Math.ceil(m);
      [lo, hi] = [-nice, nice];
    }
    const yAt = (v) => top + h - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * h;
    if (lo < 0) svg("line", { x1: LEFT, x2: WIDTH - RIGHT, y1: yAt(0), y2: yAt(0), class: "lx-zero" }, layers.lines);
    chart.scales[key].textContent = `${String(lo).replace("-", "\u2212")} to ${hi}`;
    series.forEach((s, u) => {
      svg("polyline", {
        points: s[key].map((v, k) => `${xAt(k).toFixed(1)},${yAt(v).toFixed(1)}`).join(" "),
        class: `lx-series lx-series-${key} lx-unit-${u + 1}`, fill: "none",
        ...(u === 1 ? { "stroke-dasharray": "5 3" } : {}),
      }, layers.lines);
      svg("circle", { cx: xAt(t - 1), cy: yAt(s[key][t - 1]), r: 3.5, class: `lx-dot lx-series-${key}` },
        layers.marks);
    });
  });
  const bottom = rows.length * ROW_H;
  svg("line", { x1: xAt(t - 1), x2: xAt(t - 1), y1: 2, y2: bottom, class: "lx-now" }, layers.marks);
  const every = T > 20 ? 5 : T > 10 ? 2 : 1;
  for (let k = 0; k < T; k++) {
    if ((k + 1) % every !== 0 && k !== 0 && k + 1 !== t) continue;
    const tick = svg("text", { x: xAt(k), y: bottom + 14, class: k + 1 === t ? "lx-tick lx-tick-now" : "lx-tick",
      "text-anchor": "middle" }, layers.marks);
    tick.textContent = String(k + 1);
  }
  const lab = svg("text", { x: LEFT - 8, y: bottom + 14, class: "lx-tick", "text-anchor": "end" }, layers.marks);
  lab.textContent = "step t";
}
