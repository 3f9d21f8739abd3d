// node --test tests/js/ : lstm_cell.js against Python's numbers. The fixtures file is written by
// tests/test_live_cell.py (from lstm_course.cell.lstm_step) and named by LSTM_COURSE_JS_FIXTURES; the count of checks
// and the largest difference go to LSTM_COURSE_JS_RESULT when it is set.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";

import * as cell from "../../lstm_course/static/lstm_cell.js";
import { checkFixtures } from "./lstm_cell_checks.mjs";

const path = process.env.LSTM_COURSE_JS_FIXTURES;

test("lstm_cell.js gives lstm_course.cell's numbers", { skip: !path && "LSTM_COURSE_JS_FIXTURES is not set" }, () => {
  const fixtures = JSON.parse(readFileSync(path, "utf8"));
  const { checked, maxDiff, failures } = checkFixtures(cell, fixtures);
  if (process.env.LSTM_COURSE_JS_RESULT) {
    writeFileSync(process.env.LSTM_COURSE_JS_RESULT, JSON.stringify({ checked, maxDiff, failures }));
  }
  assert.deepEqual(failures, []);
  assert.ok(checked > 0, "no fixture checked");
});
