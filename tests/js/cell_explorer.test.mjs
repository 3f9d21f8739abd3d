// node --test tests/js/ : the explorer's pure helpers (no page needed).
import assert from "node:assert/strict";
import { test } from "node:test";

import { valueOf } from "../../lstm_course/static/cell_explorer.js";

test("x_t is the one input both units read: unit 2 shows it too (it showed 'undefined')", () => {
  const step = { x_t: [0.8], f_t: [0.1, 0.2], c_t: [0.3, -0.4] };
  assert.equal(valueOf(step, "x_t", 0), 0.8);
  assert.equal(valueOf(step, "x_t", 1), 0.8);
  assert.equal(valueOf(step, "f_t", 1), 0.2);
  assert.equal(valueOf(step, "c_t", 0), 0.3);
});
