"""End-to-end Flow-DPO on the toy VideoDiT of test_adapters_smoke: 2 votes, 3 steps, installable
adapter. The takes come from a stand-in for the CLI (seeded clips), so this tests everything after
regeneration; regenerate.take_argv is checked separately against the CLI's flags."""
import hashlib
import io
import json
import math

import torch
from PIL import Image
from safetensors import safe_open

from test_adapters_smoke import tiny_base
from test_flow_dpo_votes import record
from vidlet_train.adapters.install import install
from vidlet_train.reward.flow_dpo import latent_pairs, read_votes
from vidlet_train.reward.flow_dpo_train import DpoConfig, export_flow_dpo, train_flow_dpo
from vidlet_train.reward.regenerate import take_argv


def fake_take(settings, variant, package, work, name):
    g = torch.Generator().manual_seed(int(settings["seed"]))
    return torch.rand(3, 8, 32, 32, generator=g) * 2 - 1, torch.rand(3, 8, 32, 32, generator=g) * 2 - 1


def test_two_votes_three_steps_make_an_installable_adapter(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "manifest.json").write_text(json.dumps({"name": "vidlet-test", "adapters": []}))
    h = hashlib.sha256((package / "manifest.json").read_bytes()).hexdigest()
    votes_file = tmp_path / "votes.jsonl"
    votes_file.write_text("\n".join(json.dumps(r) for r in [
        record(h, "v1", {"overall": "A"}), record(h, "v2", {"overall": "B"}), record(h, "v3", {"overall": "tie"})]) + "\n")

    base = tiny_base()
    votes = read_votes(votes_file, package, log=lambda s: None)
    pairs = latent_pairs(base, votes, "overall", package, tmp_path, make_take=fake_take, log=lambda s: None)
    assert len(pairs) == 2  # the tie is dropped
    # v2's winner is take b (seed 2): its latent is the winner's
    assert torch.equal(pairs[1].xw, base.encode_video(fake_take({"seed": 2}, 0, 0, 0, 0)[0].unsqueeze(0))[0])

    cfg = DpoConfig(steps=3, batch=2, rank=2, alpha=2, lr=1e-2, beta=500)
    inj, losses, wall = train_flow_dpo(base, pairs, cfg, log=lambda s: None)
    # the adapter starts as a no-op (B = 0), so the first step's loss is exactly log 2
    assert math.isclose(losses[0], math.log(2), rel_tol=1e-5)
    assert len(losses) == 3 and all(math.isfinite(v) for v in losses)
    assert any(torch.count_nonzero(p) > 0 for p in inj.parameters("adapter")[1::2])

    out = tmp_path / "out"
    export_flow_dpo(inj, base, out, "flow-dpo", cfg, losses, wall, len(pairs), "overall")
    manifest = install(out / "flow-dpo.entry.json", package)
    [entry] = manifest["adapters"]
    assert entry["name"] == "flow-dpo" and entry["kind"] == "style"
    data = (package / entry["file"]).read_bytes()
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    with safe_open(str(package / entry["file"]), "pt") as f:
        assert f.metadata()["rank"] == "2"


def test_take_argv_asks_the_cli_for_the_take():
    s = record("0" * 64)["a"]["settings"]
    s["adapters"] = [{"name": "pip", "strength": 0.8}]
    argv = take_argv(s, "int8", "pkg", "t.zip")
    flag = lambda f: argv[argv.index(f) + 1]  # noqa: E731
    assert (flag("--seed"), flag("--steps"), flag("--sampler"), flag("--variant"), flag("--lora")) == ("1", "4", "euler", "int8", "pip:0.8")
    assert "--decode-motion" in argv and flag("--out") == "t.zip"
    assert flag("--contrast") == "0.0"  # stated even at 0: the manifest's default might not be 0
    assert flag_of(take_argv({**s, "contrast": 3}, "int8", "pkg", "t.zip"), "--contrast") == "3.0"


def flag_of(argv, f):
    return argv[argv.index(f) + 1]


def test_take_cache_makes_each_take_once(tmp_path, monkeypatch):
    import zipfile

    from vidlet_train.reward import regenerate

    calls = []

    def fake_cli(settings, variant, package, out, threads):
        calls.append(settings["seed"])
        frame = io.BytesIO()
        Image.new("RGB", (4, 4), (int(settings["seed"]) * 10, 0, 0)).save(frame, "PNG")
        paths = out, out.with_suffix(".motion.zip")
        for p in paths:
            with zipfile.ZipFile(p, "w") as z:
                z.writestr("frame-000.png", frame.getvalue())
        return paths

    monkeypatch.setattr(regenerate, "run_cli", fake_cli)
    package, cache, work = tmp_path / "pkg", tmp_path / "cache", tmp_path / "work"
    package.mkdir(); work.mkdir()
    (package / "manifest.json").write_text('{"name": "m"}')
    s = record("0" * 64)["a"]["settings"]
    first, _ = regenerate.make_take(s, "int8", package, work, "a", cache=cache)
    again, _ = regenerate.make_take(s, "int8", package, work, "b", cache=cache)
    assert calls == [1] and torch.equal(first, again)
    regenerate.make_take({**s, "seed": 2}, "int8", package, work, "c", cache=cache)  # other settings: made
    (package / "manifest.json").write_text('{"name": "m", "files": "other weights"}')
    regenerate.make_take(s, "int8", package, work, "d", cache=cache)  # other package: made again
    assert calls == [1, 2, 1]
    assert not list(cache.glob("*.part"))
