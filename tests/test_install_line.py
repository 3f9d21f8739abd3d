"""The first cell's install line does not replace the torch a learner already has (issue 8 point 5).

On Colab, a notebook's first code cell runs `%pip install ... lstm_course @ git+<repository>`. Colab ships its own
torch 2.x (a CUDA build); the line must leave it alone. This runs the real resolver, `pip install --dry-run`,
with every notebook's own install line against a Colab-like environment that already holds another torch 2.x:
a fresh virtual environment whose installed distributions are metadata-only stand-ins (torch 2.14.1 and Colab-like
numpy, matplotlib, ipywidgets 7 and tqdm; pip decides from metadata only). The repository URL, which the tests cannot
reach, is replaced by a wheel of this checkout; other candidates (a torch 2.13.0, an ipywidgets 8) are offered from a
local folder, so a line or a dependency that asked for another torch would show up as "would install torch".
pip's own configuration is not read (`PIP_CONFIG_FILE` is the null device) and nothing is fetched (`--no-index`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REPO_URL = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
NOTEBOOKS = [*sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")), *sorted((ROOT / "exercises").glob("*.ipynb")),
             *sorted((ROOT / "solutions").glob("*.ipynb"))]
#: What the Colab-like environment already has (name -> version): metadata-only stand-ins.
COLAB_INSTALLED = {"torch": "2.14.1", "numpy": "2.0.2", "matplotlib": "3.10.0", "ipywidgets": "7.7.1",
                   "tqdm": "4.67.1"}
#: Other candidates pip may choose from (metadata-only wheels in a local folder).
OFFERED = {"torch": "2.13.0", "ipywidgets": "8.1.9"}


def _install_line(path: Path) -> str:
    """The `%pip install ...` line of the notebook's first code cell."""
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    lines = [ln.strip() for ln in first.source.splitlines() if ln.strip().startswith("%pip install")]
    assert len(lines) == 1, f"{path.name}: the first code cell must hold one `%pip install` line:\n{first.source}"
    return lines[0]


def _metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


def _stub_installed(site: Path, name: str, version: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(_metadata(name, version))
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text("")


def _stub_wheel(folder: Path, name: str, version: str) -> None:
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(folder / f"{name}-{version}-py3-none-any.whl", "w") as whl:
        whl.writestr(f"{info}/METADATA", _metadata(name, version))
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: stub\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD", "")


@pytest.fixture(scope="module")
def colab_like(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`python`: a venv holding the stand-ins; `links`: this checkout's wheel and the other candidates."""
    base = tmp_path_factory.mktemp("install-line")
    links = base / "links"
    links.mkdir()
    src = base / "src"  # a clean copy: building writes build/ and *.egg-info next to the sources
    shutil.copytree(ROOT / "lstm_course", src / "lstm_course", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(links), str(src)], check=True, env=env, capture_output=True)
    for name, version in OFFERED.items():
        _stub_wheel(links, name, version)
    venv = base / "colab"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True, capture_output=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    for name, version in COLAB_INSTALLED.items():
        _stub_installed(site, name, version)
    wheel = next(links.glob("lstm_course-*.whl"))
    return {"python": venv / "bin" / "python", "links": links, "wheel": wheel, "base": base}


def dry_run(colab_like: dict[str, Path], line: str, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """What `line` (with the repository URL replaced by this checkout's wheel) would install: name -> version."""
    args = shlex.split(line.removeprefix("%pip").strip())
    assert args[0] == "install", line
    wheel_url = colab_like["wheel"].as_uri()
    requirements = [a for a in args[1:] if not a.startswith("-")]
    assert requirements and all(REPO_URL in r for r in requirements), (
        f"the install line must install the course from {REPO_URL} only: {line}")
    args = [re.sub(rf"git\+{re.escape(REPO_URL)}\S*", wheel_url, a) for a in args]
    args = [f"lstm_course @ {a}" if a == wheel_url else a for a in args]  # a bare URL: name it, as pip would learn
    report = colab_like["base"] / "report.json"
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(colab_like["python"]), *args, *extra, "--dry-run", "--no-index",
         "--find-links", str(colab_like["links"]), "--report", str(report)],
        capture_output=True, text=True, env=env)
    assert proc.returncode == 0, f"pip install --dry-run failed for {line}:\n{proc.stdout}\n{proc.stderr}"
    items = json.loads(report.read_text())["install"]
    return {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"] for i in items}


@pytest.mark.parametrize("line", sorted({_install_line(p) for p in NOTEBOOKS}))
def test_the_install_line_keeps_the_torch_already_there(colab_like: dict[str, Path], line: str) -> None:
    would_install = dry_run(colab_like, line)
    assert "lstm-course" in would_install, f"{line} would not install the course: {would_install}"
    assert "torch" not in would_install, (
        f"{line} would replace torch {COLAB_INSTALLED['torch']} with {would_install.get('torch')}: {would_install}")


def test_the_dry_run_sees_a_line_that_would_replace_torch(colab_like: dict[str, Path]) -> None:
    """The check above can fail: the same line asking for torch==2.13.0 is reported as installing torch."""
    line = _install_line(NOTEBOOKS[0])
    assert dry_run(colab_like, line, extra=("torch==2.13.0",)).get("torch") == "2.13.0"


def test_every_notebook_installs_from_the_repository_on_its_first_cell() -> None:
    assert len(NOTEBOOKS) >= 8 + 2
    for path in NOTEBOOKS:
        assert REPO_URL in _install_line(path), f"{path.name} installs from elsewhere than {REPO_URL}"
