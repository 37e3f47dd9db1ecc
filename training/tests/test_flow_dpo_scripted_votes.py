"""The scripted voter writes what the page writes: checked by the page's own reader (TypeScript,
through `npx tsx`; Node is required, the test fails when it is missing) and by the Python reader."""
import json
import shutil
import subprocess
from pathlib import Path

import torch

from vidlet_train.reward.scripted_votes import main, ta_outcome, to_uint8
from vidlet_train.reward.votes import check_model, parse_votes_jsonl

REPO = Path(__file__).resolve().parents[2]
PROMPTS = [{"id": "p0", "prompt": "a red ball moves left on blue", "colour": "red", "shape": "ball",
            "background": "blue", "direction": "left", "seed": 7}]


def same_take(settings, variant, package, work, name):
    return torch.zeros(3, 4, 16, 16), torch.zeros(3, 4, 16, 16)


def test_ta_outcome():
    assert (ta_outcome(3, 2), ta_outcome(1, 4), ta_outcome(2, 2)) == ("A", "B", "tie")


def test_to_uint8_inverts_the_frame_reader():
    frames = torch.arange(256, dtype=torch.float32).view(1, 1, 16, 16).expand(3, 1, 16, 16) / 127.5 - 1
    assert to_uint8(frames)[0, :, :, 0].ravel().tolist() == list(range(256))


def test_records_are_the_pages(tmp_path):
    pkg = REPO / "public" / "models" / "vidlet-tiny"
    (tmp_path / "prompts.json").write_text(json.dumps(PROMPTS))
    out = tmp_path / "votes.jsonl"
    main(["--prompts", str(tmp_path / "prompts.json"), "--package", str(pkg), "--out", str(out), "--n", "1"], make_take=same_take)
    votes, problems = parse_votes_jsonl(out.read_text())
    assert problems == [] and len(votes) == 1
    check_model(votes, pkg)
    v = votes[0]
    assert v.outcomes == {"TA": "tie"} and v.id.startswith("proxy-")
    assert (v.a.settings["seed"], v.b.settings["seed"]) == (7, 8)

    npx = shutil.which("npx")
    assert npx is not None, "Node (npx) is required: this test checks the records with the page's own reader"
    script = tmp_path / "read.ts"
    script.write_text(
        f"import {{ readFileSync }} from 'node:fs';\n"
        f"import {{ parseVotesJsonl }} from {json.dumps(str(REPO / 'src/votes/vote-record.ts'))};\n"
        f"const r = parseVotesJsonl(readFileSync({json.dumps(str(out))}, 'utf8'));\n"
        f"console.log(JSON.stringify({{ n: r.records.length, problems: r.problems }}));\n")
    r = subprocess.run([npx, "tsx", str(script)], cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"n": 1, "problems": []}
