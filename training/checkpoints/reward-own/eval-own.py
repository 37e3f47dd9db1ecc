"""PYTHONPATH=. .venv/bin/python checkpoints/reward-own/eval-own.py CKPT OWN_DIR OUT.json (from training/):
the shipped reward model (reward-btt-4000.pt) on the own-generation held-out pairs, as train.py's eval does."""
import json, sys, torch
from vidlet_train.reward.model import RewardConfig, RewardModel
from vidlet_train.reward.metrics import evaluate
from vidlet_train.reward.own import load_own_pairs
from vidlet_train.reward.pairset import PairSet, TextEncoder
torch.set_num_threads(1)
ck = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
m = RewardModel(RewardConfig(**ck["cfg"])); m.load_state_dict(ck["model"]); m.eval()
tr, he = load_own_pairs(sys.argv[2])
enc = TextEncoder()
out = {"own_held_out": evaluate(m, PairSet.build(he, enc), "btt", None), "own_train": evaluate(m, PairSet.build(tr, enc), "btt", None)}
json.dump(out, open(sys.argv[3], "w"), indent=1)
for k, v in out.items():
    print(k, {d: {kk: round(x, 3) if isinstance(x, float) else x for kk, x in v[d].items()} for d in ("VQ", "MQ", "TA")})
