"""What a page's download button and its Colab button give is the readable edition (issue 8 point 5).

The source notebooks are that edition: plain CommonMark prose with finished numbers, no outputs. The `.ipynb` the
download button serves (fetched over HTTP from the served site, as a browser does) must be the chapter's source in
this repository, byte for byte; the Colab button opens the same path of the repository, which must be a tracked file.
Either must run on its own: its first code cell installs the library.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from test_commonmark import leftovers  # the plain-CommonMark MyST scan of tests/test_commonmark.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BLOB = f"/{urlsplit(CONFIG['repository']['url']).path.strip('/')}/blob/{CONFIG['repository'].get('branch', 'main')}/"


def _notebook_pages(site_pages: dict) -> dict[str, list[str]]:
    return {rel: r.head_links["download"] for rel, r in site_pages.items() if r.head_links["download"]}


def test_the_download_button_serves_the_readable_source(site_pages: dict, site_url: str) -> None:
    pages = _notebook_pages(site_pages)
    assert len(pages) >= 8, f"chapters with a .ipynb download button: {sorted(pages)}"
    problems = []
    for rel, hrefs in sorted(pages.items()):
        source = rel.replace(".html", ".ipynb")
        href = next((h for h in hrefs if h.endswith("/_sources/" + source)), None)
        if href is None or not href.startswith(site_url):
            problems.append(f"{rel}: download links {hrefs} do not serve _sources/{source} from the site")
            continue
        with urllib.request.urlopen(href, timeout=10) as response:
            served = response.read()
        if not os.environ.get("LSTM_COURSE_SITE") and served != (ROOT / source).read_bytes():
            problems.append(f"{rel}: the downloaded {source} differs from the repository's {source}")
        nb = json.loads(served)
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if any(c.get("outputs") or c.get("execution_count") is not None for c in code):
            problems.append(f"{rel}: the downloaded {source} holds outputs")
        if not code or "%pip install" not in "".join(code[0]["source"]):
            problems.append(f"{rel}: the downloaded {source} does not install the library in its first code cell")
        myst = [item for c in nb["cells"] if c["cell_type"] == "markdown" for item in leftovers("".join(c["source"]))]
        if myst:
            problems.append(f"{rel}: the downloaded {source} shows MyST syntax outside the book: {myst}")
    assert not problems, "\n".join(problems)


def test_the_colab_button_opens_the_same_tracked_notebook(site_pages: dict) -> None:
    problems = []
    for rel, report in sorted(site_pages.items()):
        if not report.head_links["download"]:
            continue
        source = rel.replace(".html", ".ipynb")
        opened = [urlsplit(h).path.split(BLOB, 1)[-1] for h in report.head_links["colab"] if BLOB in h]
        if opened != [source]:
            problems.append(f"{rel}: the Colab button opens {report.head_links['colab']}, not {BLOB}{source}")
            continue
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", source], cwd=ROOT, capture_output=True)
        if tracked.returncode != 0:
            problems.append(f"{rel}: Colab would open {source}, which is not committed")
    assert not problems, "\n".join(problems)
