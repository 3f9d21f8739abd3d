"""Run one notebook top to bottom with nbclient and print one JSON line: what happened and what the kernel imported.

Runs under the Colab-like environment's Python (see conftest.py), so its kernel is that environment's: the
notebook is copied alone into an empty folder first (as Colab opens it), and executed there. A last cell, added to
the copy only, reports where `lstm_course` was imported from and which build-only packages are in `sys.modules`.

Usage: python execute_notebook.py NOTEBOOK WORKDIR TIMEOUT_S BUILD_ONLY_MODULE...
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

PROBE = """\
import json as _json, sys as _sys
import lstm_course as _lc
print("PROBE" + _json.dumps({"lstm_course": _lc.__file__, "build_only": sorted(
    {m.split(".")[0] for m in _sys.modules} & set(%r))}))"""


def main() -> None:
    source, workdir, timeout, build_only = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / source.name
    shutil.copyfile(source, copy)
    nb = nbformat.read(copy, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE % (build_only,)))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}})
    result: dict[str, object] = {"notebook": str(source), "ok": False}
    start = time.perf_counter()
    try:
        client.execute()
        result["ok"] = True
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        result["error"] = str(exc)[-3000:]
    result["seconds"] = round(time.perf_counter() - start, 2)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    result["error_outputs"] = [f"{o.ename}: {o.evalue}" for o in errors]
    probe = [o.get("text", "") for o in nb.cells[-1].get("outputs", []) if o.output_type == "stream"]
    text = "".join(probe)
    result["probe"] = json.loads(text[text.index("PROBE") + 5:]) if "PROBE" in text else None
    print(json.dumps(result))


if __name__ == "__main__":
    main()
