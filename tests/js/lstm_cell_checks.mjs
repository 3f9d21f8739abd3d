// Checks lstm_course/static/lstm_cell.js against fixtures computed in Python by lstm_course.cell (see
// tests/test_live_cell.py, which writes the fixtures and runs these checks under Node, or in Chromium without Node).
// Plain ES module with no imports, so that the same code runs in Node and in a browser page.

/** Every number of `got` against `want` (nested arrays of equal shape). Returns the largest |difference|. */
function diff(got, want, where, failures) {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      failures.push(`${where}: expected ${want.length} numbers, got ${JSON.stringify(got)}`);
      return Infinity;
    }
    return want.reduce((m, w, k) => Math.max(m, diff(got[k], w, `${where}[${k}]`, failures)), 0);
  }
  if (typeof got !== "number" || !Number.isFinite(got)) {
    failures.push(`${where}: expected the number ${want}, got ${got}`);
    return Infinity;
  }
  return Math.abs(got - want);
}

/**
 * Runs every check; `cell` is the lstm_cell.js module (or the page's window.lstmCourse.cell).
 * Returns {checked, maxDiff, failures}: failures lists each value further than fixtures.tolerance from Python's.
 */
export function checkFixtures(cell, fixtures) {
  const failures = [];
  let maxDiff = 0;
  let checked = 0;
  const check = (got, want, where) => {
    const d = diff(got, want, where, failures);
    checked += 1;
    maxDiff = Math.max(maxDiff, d);
    if (d > fixtures.tolerance && d !== Infinity) failures.push(`${where}: off by ${d} (tolerance ${fixtures.tolerance})`);
  };
  fixtures.sigmoid.forEach(([z, s], k) => check(cell.sigmoid(z), s, `sigmoid #${k} (z = ${z})`));
  fixtures.steps.forEach((f, k) => {
    const { x_t, h_prev, c_prev, weights: w, expected: e } = f;
    const at = (name) => `step #${k} ${name}`;
    check(cell.concat_hx(h_prev, x_t), e.hx, at("concat_hx"));
    check(cell.forget_gate(h_prev, x_t, w.W_f, w.b_f), e.f_t, at("forget_gate"));
    check(cell.input_gate(h_prev, x_t, w.W_i, w.b_i), e.i_t, at("input_gate"));
    check(cell.candidate(h_prev, x_t, w.W_c, w.b_c), e.c_tilde, at("candidate"));
    check(cell.cell_update(e.f_t, c_prev, e.i_t, e.c_tilde), e.c_t, at("cell_update"));
    check(cell.output_gate(h_prev, x_t, w.W_o, w.b_o), e.o_t, at("output_gate"));
    check(cell.hidden_state(e.o_t, e.c_t), e.h_t, at("hidden_state"));
    const step = cell.lstm_step(x_t, h_prev, c_prev, w);
    for (const name of ["f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t"]) check(step[name], e[name], at(`lstm_step ${name}`));
  });
  fixtures.sequences.forEach((f, k) => {
    const steps = cell.lstm_sequence(f.xs, f.h_0, f.c_0, f.weights);
    for (const name of ["f_t", "i_t", "c_tilde", "c_t", "o_t", "h_t", "h_prev", "c_prev"]) {
      check(steps.map((s) => s[name]), f.expected[name], `sequence #${k} ${name}`);
    }
    check(cell.forget_path_product(f.expected.f_t), f.expected.belt, `sequence #${k} forget_path_product`);
  });
  // a wrong shape is refused, not silently broadcast
  const f = fixtures.steps[0];
  let threw = false;
  try {
    cell.forget_gate(f.h_prev, f.x_t.concat([0]), f.weights.W_f, f.weights.b_f);
  } catch (err) {
    threw = /H \+ I/.test(String(err));
  }
  if (!threw) failures.push("forget_gate accepted an x_t one number too long (W_f has H + I columns)");
  return { checked, maxDiff, failures };
}
