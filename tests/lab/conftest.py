"""Fixtures for the JupyterLab tests (issue 8 point 3): a real JupyterLab server from `.venv`, driven in Debian's
headless Chromium by Playwright.

- The server listens on 127.0.0.1, on a free port, with a random token. Its root is a temporary folder holding
  COPIES of `book/*.ipynb` and `exercises/*.ipynb` (the layout `make lab` shows), so nothing a test does is written
  to the repository's files. Its settings, workspaces, runtime files and IPython profile live there too.
- The kernels are `.venv`'s Python (the server's own, as with `make lab`), with the working tree on `PYTHONPATH`,
  so they import this checkout's `lstm_course` even without the editable install; `LSTM_COURSE_CHECK_PROSE` is
  unset, as for a learner. JupyterLab's news and update checks are off: nothing may leave the host.
- Without a Chromium the tests skip with the reason; under CI (`CI=true`) a missing browser is a failure.
- Screenshots go to `test-artifacts/lab/` (not committed).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _browser import NO_CHROMIUM, chromium_browser, require_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "lab"
#: The folders `make lab` shows, copied into the server's root.
COPIED = ("book", "exercises")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_chromium(f"JupyterLab browser tests skipped: {NO_CHROMIUM}", f"CI is set but {NO_CHROMIUM}")


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: its base URL (`http://127.0.0.1:<port>/`), token and root folder."""

    url: str
    token: str
    root: Path

    def api(self, method: str, path: str) -> object:
        """Call the server's REST API (`path` like `api/kernels`); the decoded JSON, or None for an empty body."""
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        for kernel in self.api("GET", "api/kernels") or []:
            self.api("DELETE", f"api/kernels/{kernel['id']}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, n: int = 4000) -> str:
    return path.read_text(errors="replace")[-n:] if path.is_file() else ""


@pytest.fixture(scope="session")
def lab_server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    for folder in COPIED:
        (root / folder).mkdir(parents=True)
        for nb in sorted((ROOT / folder).glob("*.ipynb")):
            shutil.copy2(nb, root / folder / nb.name)
    # No "receive Jupyter news?" prompt and no update check: both would ask another host.
    settings = base / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    env = {k: v for k, v in os.environ.items() if k != "LSTM_COURSE_CHECK_PROSE"}  # a learner's kernel
    env.update(JUPYTER_CONFIG_DIR=str(base / "config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               IPYTHONDIR=str(base / "ipython"),
               PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    env.setdefault("OMP_NUM_THREADS", "1")
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={base / 'workspaces'}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: the tests read the notebook's model (outputs, execution counts, kernel status) from it;
        # everything a learner does (menus, keys, typing) goes through the page.
        "--LabApp.expose_app_in_browser=True",
    ]
    log = base / "jupyterlab.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LabServer(url=f"http://127.0.0.1:{port}/", token=token, root=root)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n{_tail(log)}")
            try:
                server.api("GET", "api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer on {server.url} within 90 s:\n{_tail(log)}")
                time.sleep(0.3)
        yield server
    finally:
        try:
            server.api("POST", "api/shutdown")  # stops the kernels too
            process.wait(timeout=20)
        except Exception:  # noqa: BLE001 - whatever went wrong, the server and its kernels must not outlive the tests
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    with chromium_browser(chromium_path) as browser:
        yield browser


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # the folder shows this run only
        old.unlink()
    return ARTIFACTS
