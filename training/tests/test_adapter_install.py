"""vidlet_train.adapters.install: trained adapters land under <package>/adapters/ and in the
manifest with sizes and sha256 of the copied files; an adapter of the same name is replaced."""
import hashlib
import json

from vidlet_train.adapters.install import install


def _entries(tmp, names, blender=True, body=b"w"):
    src = tmp / "src"
    src.mkdir(exist_ok=True)
    adapters = []
    for n, kind in names:
        (src / f"{n}.safetensors").write_bytes(body + n.encode())
        (src / f"{n}.json").write_text(json.dumps({"name": n}))
        adapters.append({"name": n, "kind": kind, "file": f"{n}.safetensors", "description": f"{n}.json", "bytes": 0, "sha256": "stale"})
    out = {"adapters": adapters}
    if blender:
        (src / "a+b.blender.json").write_text("{}")
        out["blender"] = {"file": "a+b.blender.json", "bytes": 0, "sha256": "stale"}
    p = src / "manifest-entries.json"
    p.write_text(json.dumps(out))
    return p


def test_install_copies_lists_and_replaces(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "manifest.json").write_text(json.dumps({"name": "m", "adapters": [{"name": "old", "kind": "style", "file": "adapters/old.safetensors", "bytes": 1, "sha256": "x"}]}))
    m = install(_entries(tmp_path, [("a", "identity"), ("b", "motion")]), pkg)
    names = [a["name"] for a in m["adapters"]]
    assert names == ["old", "a", "b"]
    a = m["adapters"][1]
    assert a["file"] == "adapters/a.safetensors" and a["description"] == "adapters/a.json"
    data = (pkg / a["file"]).read_bytes()
    assert a["bytes"] == len(data) and a["sha256"] == hashlib.sha256(data).hexdigest()
    assert m["blender"]["file"] == "adapters/a+b.blender.json" and m["blender"]["sha256"] != "stale"
    # a second install of "a" with other weights replaces it and keeps the rest
    m2 = install(_entries(tmp_path, [("a", "identity")], blender=False, body=b"other"), pkg)
    assert [x["name"] for x in m2["adapters"]] == ["old", "a", "b"]
    assert m2["adapters"][1]["sha256"] == hashlib.sha256(b"othera").hexdigest()
    assert m2["blender"] == m["blender"]
    assert json.loads((pkg / "manifest.json").read_text()) == m2
