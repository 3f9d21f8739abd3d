"""The intro's "Map of the course" is complete (issue 18.4): every chapter of _toc.yml, in order, with its title, and
every exercise notebook of exercises/, each in the row of the chapter it belongs to; and the learner's pages carry
no notes meant for maintainers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\|\s*\[(?P<title>[^\]]+)\]\((?P<page>\d\d_[\w-]+)\.ipynb\)\s*"
                 r"\|(?P<what>[^|]*)\|(?P<ex>[^|]*)\|\s*$", re.M)


def _chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [p.removeprefix("book/") for p in pages if re.match(r"book/\d\d_", p)]


def _map() -> str:
    text = (ROOT / "book" / "intro.md").read_text()
    start = text.index("## Map of the course")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _title(page: str) -> str:
    nb = nbformat.read(ROOT / "book" / f"{page}.ipynb", as_version=4)
    first = next(c.source for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("# "))
    return first.lstrip().splitlines()[0][2:].strip()


def _exercise_chapter(topic: str) -> str:
    """The chapter an exercise notebook links first (its own)."""
    nb = nbformat.read(ROOT / "exercises" / f"{topic}.ipynb", as_version=4)
    first = next(c.source for c in nb.cells if c.cell_type == "markdown" and "/book/" in c.source)
    return re.search(r"/book/(\d\d_[\w-]+)\.(?:html|ipynb)", first).group(1)


def test_the_map_lists_every_chapter_of_the_table_of_contents_in_order_with_its_title():
    rows = list(ROW.finditer(_map()))
    assert [r["page"] for r in rows] == _chapters(), "the map's rows are not _toc.yml's chapters, in order"
    for r in rows:
        assert r["title"] == _title(r["page"]), (r["page"], r["title"])
        assert r["what"].strip(), f"{r['page']}: say what the chapter covers"


def test_the_map_lists_every_exercise_notebook_in_its_chapters_row():
    listed: dict[str, str] = {}
    for r in ROW.finditer(_map()):
        for topic in re.findall(r"\]\(\.\./exercises/([\w-]+)\.ipynb\)", r["ex"]):
            assert topic not in listed, f"{topic} listed twice"
            listed[topic] = r["page"]
    on_disk = sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))
    assert sorted(listed) == on_disk, "the map's exercises are not those of exercises/"
    for topic, page in listed.items():
        own = _exercise_chapter(topic)
        assert own == page, f"{topic} sits in the row of {page}, but links {own}"


#: Notes meant for maintainers, not learners: how the tests work, tool scripts, CPU budgets.
MAINTAINER = re.compile(r"\btests? (?:fails?|re-?runs?|checks?|compares?)\b|\btests/|\btools/|\bpytest\b|"
                        r"\bCPU (?:time|seconds)\b|\bminutes of CPU\b|\bmake (?:test|book|vendor)\b", re.I)
LEARNER_PAGES = sorted(p.name for p in (ROOT / "book").iterdir() if p.suffix in (".md", ".ipynb"))


def _shown_text(name: str) -> str:
    path = ROOT / "book" / name
    if path.suffix == ".md":
        return path.read_text()
    nb = nbformat.read(path, as_version=4)
    hidden = {"remove-cell", "remove-input", "hide-input", "hide-cell"}
    out = []
    for cell in nb.cells:
        if hidden & set(cell.metadata.get("tags", [])):
            continue  # a hidden cell is where a maintainer's note belongs
        if cell.cell_type == "markdown":
            out.append(cell.source)
        else:
            out += [line.split("#", 1)[1] for line in cell.source.splitlines() if "#" in line]
    return "\n".join(out)


def test_the_detector_of_maintainer_notes_finds_them():
    for note in ("the tests fail if the text and the computation disagree", "rerun with `tools/sweep_variants.py`",
                 "a test re-runs one of the runs", "minutes of CPU time", "see `tests/test_probes.py`"):
        assert MAINTAINER.search(note), note
    for fine in ("a test sequence", "Open it with `make lab`", "the test accuracy"):
        assert not MAINTAINER.search(fine), fine


@pytest.mark.parametrize("name", LEARNER_PAGES)
def test_no_maintainer_notes_in_the_learners_text(name):
    found = [m.group(0) for m in MAINTAINER.finditer(_shown_text(name))]
    assert not found, f"book/{name} speaks to maintainers ({found}): move it to a hidden cell or the README"
