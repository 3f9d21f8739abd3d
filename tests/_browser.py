"""Finding and launching the Chromium the browser tests drive (tests/site, tests/lab, tests/test_live_cell.py).

Debian's Chromium (`/usr/bin/chromium`) through Playwright; `playwright install` is never used. `$CHROMIUM`, if set,
is the only candidate. Without a Chromium a test skips with its reason, except under CI (`CI=true`), where that is
a failure (`require_chromium`).

`tests/` is on `sys.path` in every test run (pytest's default "prepend" import mode puts the folder of
`tests/conftest.py`, which has no `__init__.py`, there), so both conftests and the test modules `import _browser`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

#: Headless and offline: nothing may leave the host.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]

#: Why the browser tests cannot run, for skip and CI-failure messages.
NO_CHROMIUM = "no Chromium found (/usr/bin/chromium; `apt-get install chromium`, as .ci/run does)"


def on_ci() -> bool:
    """`CI` is set to a true value (`1`, `true`, `yes`): missing browsers fail instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_chromium() -> str | None:
    """The Chromium to drive: `$CHROMIUM` if set (only that), else Debian's; None when there is none."""
    candidates = [os.environ["CHROMIUM"]] if "CHROMIUM" in os.environ else [
        "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def require_chromium(skip_message: str, ci_message: str) -> str:
    """The Chromium's path; without one, skip with `skip_message`, or fail with `ci_message` under CI."""
    path = find_chromium()
    if path is None:
        if on_ci():
            pytest.fail(ci_message)
        pytest.skip(skip_message)
    return path


@contextmanager
def chromium_browser(path: str) -> Iterator[Any]:
    """A headless Playwright `Browser` on the Chromium at `path` (with `CHROMIUM_ARGS`), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
