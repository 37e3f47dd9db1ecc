"""Put trained adapters (and a StageBlender table) into a model package: copy the files under
<package>/adapters/ and list them in its manifest.json (`adapters`, `blender`).

    cd training && .venv/bin/python -m vidlet_train.adapters.install \\
        --entries runs/adapters/manifest-entries.json --package ../public/models/vidlet-tiny

--entries takes the files the trainers write: manifest-entries.json (vidlet_train.adapters.train:
both adapters + the blender) or <name>.entry.json (vidlet_train.adapters.train_single: one
adapter). An adapter already listed under the same name is replaced; the others stay. Sizes and
sha256 are computed again from the copied files, so the manifest cannot disagree with them.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, Dict, List

SUBDIR = "adapters"


def _file_entry(package: Path, rel: str) -> Dict[str, Any]:
    data = (package / rel).read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def install(entries_path: Path, package: Path) -> Dict[str, Any]:
    src = entries_path.parent
    entries = json.loads(entries_path.read_text())
    adapters: List[Dict[str, Any]] = entries["adapters"] if "adapters" in entries else [entries]
    manifest_path = package / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    (package / SUBDIR).mkdir(exist_ok=True)

    def copy(name: str) -> str:
        rel = f"{SUBDIR}/{name}"
        shutil.copyfile(src / name, package / rel)
        return rel

    listed = {a["name"]: a for a in manifest.get("adapters", [])}
    for a in adapters:
        entry = {"name": a["name"], "kind": a["kind"], "file": copy(a["file"])}
        if a.get("description"):
            entry["description"] = copy(a["description"])
        entry.update(_file_entry(package, entry["file"]))
        listed[a["name"]] = entry
    manifest["adapters"] = list(listed.values())
    if entries.get("blender"):
        rel = copy(entries["blender"]["file"])
        manifest["blender"] = {"file": rel, **_file_entry(package, rel)}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=Path, required=True, nargs="+")
    ap.add_argument("--package", type=Path, required=True)
    args = ap.parse_args(argv)
    for e in args.entries:
        manifest = install(e, args.package)
    print(json.dumps({"adapters": manifest["adapters"], "blender": manifest.get("blender")}, indent=1))


if __name__ == "__main__":
    main()
