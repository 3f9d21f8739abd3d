// One LSTM time step in the browser: the same six equations as lstm_course/cell.py, with the same names, in the
// same order (the book's notation, shared/NOTATION.md). Plain numbers and arrays, float64, no dependencies.
//
// Shapes, as in cell.py but unbatched: x_t has I numbers, h_prev and c_prev have H numbers; every gate weight
// W_* is H rows of H + I numbers acting on [h_{t-1}, x_t] (hidden first), every bias b_* has H numbers.
//
//   f_t     = sigmoid(W_f [h_{t-1}, x_t] + b_f)
//   i_t     = sigmoid(W_i [h_{t-1}, x_t] + b_i)
//   c_tilde = tanh(W_c [h_{t-1}, x_t] + b_c)
//   c_t     = f_t * c_{t-1} + i_t * c_tilde
//   o_t     = sigmoid(W_o [h_{t-1}, x_t] + b_o)
//   h_t     = o_t * tanh(c_t)
//
// tests/js/ checks every function against fixtures that Python computes with lstm_course.cell.lstm_step.

/** The logistic sigmoid, 1 / (1 + e^{-z}), of one number. */
export function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}

/** [h_{t-1}, x_t]: hidden first, input second. (H), (I) -> (H + I). */
export function concat_hx(h_prev, x_t) {
  return h_prev.concat(x_t);
}

/** The pre-activation W [h_{t-1}, x_t] + b of one gate. (H), (I), W (H, H + I), b (H) -> (H). */
export function affine(h_prev, x_t, W, b) {
  const hx = concat_hx(h_prev, x_t); // (H + I)
  if (W.length !== b.length || W.some((row) => row.length !== hx.length)) {
    throw new Error(`W must be ${b.length} rows of ${hx.length} numbers (H rows of H + I), acting on [h_prev, x_t]`);
  }
  return W.map((row, u) => row.reduce((sum, w, k) => sum + w * hx[k], 0) + b[u]); // (H)
}

/** f_t = sigmoid(W_f [h_{t-1}, x_t] + b_f), in (0, 1): 1 keeps, 0 discards. */
export function forget_gate(h_prev, x_t, W_f, b_f) {
  return affine(h_prev, x_t, W_f, b_f).map(sigmoid);
}

/** i_t = sigmoid(W_i [h_{t-1}, x_t] + b_i), in (0, 1): how much of the candidate to write. */
export function input_gate(h_prev, x_t, W_i, b_i) {
  return affine(h_prev, x_t, W_i, b_i).map(sigmoid);
}

/** c_tilde = tanh(W_c [h_{t-1}, x_t] + b_c), in (-1, 1): the proposed new content. */
export function candidate(h_prev, x_t, W_c, b_c) {
  return affine(h_prev, x_t, W_c, b_c).map(Math.tanh);
}

/** c_t = f_t * c_{t-1} + i_t * c_tilde, element-wise: keep part of the old memory, add new. */
export function cell_update(f_t, c_prev, i_t, c_tilde) {
  return f_t.map((f, u) => f * c_prev[u] + i_t[u] * c_tilde[u]);
}

/** o_t = sigmoid(W_o [h_{t-1}, x_t] + b_o), in (0, 1): how much of the memory to show. */
export function output_gate(h_prev, x_t, W_o, b_o) {
  return affine(h_prev, x_t, W_o, b_o).map(sigmoid);
}

/** h_t = o_t * tanh(c_t), element-wise: the step's output, in (-1, 1). */
export function hidden_state(o_t, c_t) {
  return o_t.map((o, u) => o * Math.tanh(c_t[u]));
}

/**
 * One time step: the six equations above, composed, in cell.py's order.
 * weights: {W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o} (lstm_course.layout.CellWeights' fields).
 * Returns {h_t, c_t, f_t, i_t, c_tilde, o_t}, each H numbers.
 */
export function lstm_step(x_t, h_prev, c_prev, weights) {
  const { W_f, b_f, W_i, b_i, W_c, b_c, W_o, b_o } = weights;
  const f_t = forget_gate(h_prev, x_t, W_f, b_f);
  const i_t = input_gate(h_prev, x_t, W_i, b_i);
  const c_tilde = candidate(h_prev, x_t, W_c, b_c);
  const c_t = cell_update(f_t, c_prev, i_t, c_tilde);
  const o_t = output_gate(h_prev, x_t, W_o, b_o);
  const h_t = hidden_state(o_t, c_t);
  return { h_t, c_t, f_t, i_t, c_tilde, o_t };
}

/**
 * lstm_step over a sequence xs = [x_1, ..., x_T] (each I numbers) from the initial state h_0, c_0, as
 * lstm_course.LSTM runs it. Returns T steps, step t = {x_t, h_prev, c_prev, f_t, i_t, c_tilde, c_t, o_t, h_t}.
 */
export function lstm_sequence(xs, h_0, c_0, weights) {
  const steps = [];
  let h_prev = h_0;
  let c_prev = c_0;
  for (const x_t of xs) {
    const step = lstm_step(x_t, h_prev, c_prev, weights);
    steps.push({ x_t, h_prev, c_prev, ...step });
    h_prev = step.h_t;
    c_prev = step.c_t;
  }
  return steps;
}

/**
 * The cell path's factor from the last step back to step k (lstm_course.gradients.forget_path_product):
 * P_k = f_{k+1} * ... * f_T, with P_T = 1. f: T arrays of H forget-gate values -> T arrays of H numbers.
 */
export function forget_path_product(f) {
  const P = new Array(f.length);
  let running = f.length ? f[0].map(() => 1) : [];
  for (let k = f.length - 1; k >= 0; k--) {
    P[k] = running;
    running = running.map((p, u) => p * f[k][u]);
  }
  return P;
}
