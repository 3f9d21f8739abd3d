"""Refresh `_vendor/`: the front-end files the built site serves itself, copied from pinned npm packages.

The site must load with no request to another host, so MathJax 3, require.js and the ipywidgets HTML manager
(with its fonts) are committed under `_vendor/` and copied into `_build/html/_static/` by the book build
(`tools/sphinx_vendor.py`). Their versions are pinned by `package.json` + `package-lock.json`.

Usage (the Makefile's `make vendor` runs exactly this)::

    python tools/vendor_assets.py            # npm ci from the lockfile, then copy and write the manifest
    python tools/vendor_assets.py --no-install   # copy from an existing node_modules/

To move to a newer release: edit the version in package.json, run `npm install --package-lock-only
--ignore-scripts`, then `make vendor`, and commit package.json, package-lock.json and _vendor/ together.
`tests/test_vendor.py` fails when `_vendor/` and the lockfile disagree.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "_vendor"
MANIFEST_NAME = "vendor-manifest.json"
LOCKFILE = ROOT / "package-lock.json"

# package name -> glob patterns (relative to the package folder) of the files the site needs; nothing else is copied.
SELECTION: dict[str, tuple[str, ...]] = {
    "mathjax": (
        "LICENSE",
        "package.json",
        "es5/tex-chtml.js",  # TeX input + CommonHTML output, the component Sphinx loads (mathjax_path)
        "es5/output/chtml/fonts/woff-v2/*.woff",  # the CommonHTML fonts, found relative to tex-chtml.js
        "es5/input/tex/extensions/*.js",  # TeX packages MathJax's autoload fetches on demand (\color, \cancel, ...)
    ),
    "requirejs": ("package.json", "require.js"),  # MIT licence in the file header
    "@jupyter-widgets/html-manager": (
        "package.json",  # names the licence (BSD-3-Clause); the package ships no LICENSE file
        "dist/embed-amd.js",  # renders the embedded widget state without a kernel
        "dist/*.woff2",  # Font Awesome, referenced by embed-amd.js; browsers take woff2 and fall back to woff
        "dist/*.woff",
    ),
}


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locked_versions(lockfile: Path = LOCKFILE) -> dict[str, str]:
    """Version of each selected package as `package-lock.json` pins it."""
    packages = json.loads(lockfile.read_text())["packages"]
    versions = {}
    for name in SELECTION:
        entry = packages.get(f"node_modules/{name}")
        if entry is None:
            raise ValueError(f"package-lock.json has no entry for {name!r}; add it to package.json and run npm install")
        versions[name] = entry["version"]
    return versions


def select_files(package_dir: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Files of one installed package that match `patterns` (relative paths, sorted); each pattern must match."""
    files = sorted(p.relative_to(package_dir) for p in package_dir.rglob("*") if p.is_file())
    chosen: list[Path] = []
    for pattern in patterns:
        matched = [p for p in files if fnmatch.fnmatchcase(p.as_posix(), pattern)]
        if not matched:
            raise ValueError(f"{package_dir.name}: nothing matches {pattern!r}; the package layout changed")
        chosen.extend(p for p in matched if p not in chosen)
    return sorted(chosen)


def vendor(node_modules: Path, vendor_dir: Path = VENDOR_DIR, lockfile: Path = LOCKFILE) -> dict:
    """Copy the selected files from `node_modules` into `vendor_dir` (replacing it) and write its manifest."""
    versions = locked_versions(lockfile)
    manifest: dict = {"generated_by": "tools/vendor_assets.py", "packages": {}}
    if vendor_dir.exists():
        shutil.rmtree(vendor_dir)
    for name, patterns in SELECTION.items():
        package_dir = node_modules / name
        installed = json.loads((package_dir / "package.json").read_text())["version"]
        if installed != versions[name]:
            raise ValueError(f"node_modules has {name} {installed}, the lockfile pins {versions[name]}; run npm ci")
        files = {}
        for rel in select_files(package_dir, patterns):
            target = vendor_dir / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package_dir / rel, target)
            files[rel.as_posix()] = sha256(target)
        manifest["packages"][name] = {"version": installed, "files": files}
    (vendor_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-install", action="store_true", help="use the existing node_modules/ (skip npm ci)")
    args = parser.parse_args(argv)
    if not args.no_install:
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    manifest = vendor(ROOT / "node_modules")
    total = sum(p.stat().st_size for p in VENDOR_DIR.rglob("*") if p.is_file())
    for name, entry in manifest["packages"].items():
        print(f"{name}@{entry['version']}: {len(entry['files'])} files")
    print(f"_vendor/: {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
