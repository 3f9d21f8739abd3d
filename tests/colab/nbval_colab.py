"""A pytest plugin for the Colab-like runs (`pytest --nbval-lax -p nbval_colab`), loaded in `.venv-colab`'s pytest.

nbval starts each notebook's kernel in the notebook's own folder; Colab starts it in `/content`, which holds neither
the notebook nor the repository. Here the kernel starts in the empty folder named by ``COLAB_WORKDIR``. Before the
kernel stops, a probe runs in it and writes one JSON object to ``COLAB_PROBE_OUT``: where `lstm_course` was
imported from, which of the modules listed in ``COLAB_BUILD_ONLY`` (space-separated) the notebook imported (pytest
and nbval run the notebook from outside the kernel, so none may appear there), and the kernel's working folder.

The plugin file is copied alone into a temporary folder put on ``PYTHONPATH`` for pytest, and that variable is
removed before any kernel starts, so nothing of this checkout is on the kernel's path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from queue import Empty

import nbval.plugin

WORKDIR_ENV = "COLAB_WORKDIR"
PROBE_ENV = "COLAB_PROBE_OUT"
BUILD_ONLY_ENV = "COLAB_BUILD_ONLY"

PROBE = """\
import json as _json, os as _os, sys as _sys
import lstm_course as _lc
print("PROBE" + _json.dumps({"lstm_course": _lc.__file__, "cwd": _os.getcwd(), "build_only": sorted(
    {m.split(".")[0] for m in _sys.modules} & set(%r))}))"""


class EmptyFolderKernel(nbval.plugin.RunningKernel):
    """nbval's kernel, started in ``COLAB_WORKDIR`` instead of the notebook's folder, probed before it stops."""

    def __init__(self, kernel_name: str, cwd: str | None = None, startup_timeout: int = 60) -> None:
        workdir = Path(os.environ[WORKDIR_ENV])
        if any(workdir.iterdir()):
            raise RuntimeError(f"{WORKDIR_ENV}={workdir} is not empty; Colab's working folder holds no notebook")
        super().__init__(kernel_name, cwd=str(workdir), startup_timeout=startup_timeout)

    def stop(self) -> None:
        try:
            self._probe()
        finally:
            super().stop()

    def _probe(self) -> None:
        out = os.environ.get(PROBE_ENV)
        if not out:
            return
        build_only = os.environ.get(BUILD_ONLY_ENV, "").split()
        msg_id = self.execute_cell_input(PROBE % (build_only,), allow_stdin=False)
        text = ""
        try:
            while True:
                msg = self.get_message(stream="iopub", timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    text += msg["content"]["text"]
                elif msg["msg_type"] == "error":
                    text += "ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"]
                elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
        except Empty:
            text += "ERROR: the probe timed out"
        probe = json.loads(text[text.index("PROBE") + 5:]) if "PROBE" in text else {"error": text}
        Path(out).write_text(json.dumps(probe))


def pytest_configure(config: object) -> None:
    """Only when loaded as the plugin (``-p nbval_colab``): importing this module changes nothing."""
    os.environ.pop("PYTHONPATH", None)  # pytest found this plugin through it; the kernel must not inherit it
    nbval.plugin.RunningKernel = EmptyFolderKernel  # nbval's IPyNbFile.setup looks the class up here
