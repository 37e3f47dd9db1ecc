"""Reads the page's vote JSONL (src/votes/vote-record.ts, version 1) in Python, for Flow-DPO.

The same rules as the page's reader where they decide whether a take can be made again: a record is
taken whole or not at all, one bad line costs only that line and is named by its number. Settings
limits are not re-checked here (the page checked them when it saved the vote); the sampler reads
what it needs and fails loudly on anything it cannot make.

modelHash is the sha256 of the package's manifest.json (src/app/data/take-vote.ts), so a vote is
usable only with that exact package: other builds make other clips from the same seed.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

VOTE_RECORD_VERSION = 1
DIMENSIONS = ("VQ", "MQ", "TA", "overall")
OUTCOMES = ("A", "B", "tie")
VARIANTS = ("fp32", "fp16", "int8", "q4")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass
class VoteTake:
    settings: dict
    adapter_hashes: Dict[str, str]


@dataclass
class Vote:
    id: str
    prompt: str
    negative: str
    model: str
    model_hash: str
    variant: str
    a: VoteTake
    b: VoteTake
    outcomes: Dict[str, str]
    raw: dict = field(repr=False, default_factory=dict)


@dataclass
class LineProblem:
    line: int
    message: str


def read_vote(o: object) -> Tuple[Optional[Vote], List[str]]:
    """The vote, or every problem with it ("field message")."""
    if not isinstance(o, dict):
        return None, [f"should be a vote record (a JSON object), got {type(o).__name__}"]
    if o.get("version") != VOTE_RECORD_VERSION:
        return None, [f'not a version-{VOTE_RECORD_VERSION} Vidlet vote record ("version" is {o.get("version")!r})']
    bad: List[str] = []
    for name in ("id", "prompt", "model"):
        if not isinstance(o.get(name), str) or o.get(name) == "":
            bad.append(f"{name} should be a non-empty string")
    if not isinstance(o.get("negative"), str):
        bad.append("negative should be a string")
    if not isinstance(o.get("modelHash"), str) or not _SHA256.match(o["modelHash"]):
        bad.append("modelHash should be a sha256 digest (64 hexadecimal characters)")
    if o.get("variant") not in VARIANTS:
        bad.append(f"variant should be one of {', '.join(VARIANTS)}")
    takes = {k: _take(o.get(k), k, bad) for k in ("a", "b")}
    outcomes = o.get("outcomes")
    if not isinstance(outcomes, dict) or not outcomes:
        bad.append(f"outcomes should be an object with at least one of {', '.join(DIMENSIONS)}")
    else:
        for k, v in outcomes.items():
            if k not in DIMENSIONS:
                bad.append(f"outcomes.{k} should be absent: the dimensions are {', '.join(DIMENSIONS)}")
            elif v not in OUTCOMES:
                bad.append(f"outcomes.{k} should be one of {', '.join(OUTCOMES)}")
    if bad:
        return None, bad
    return Vote(o["id"], o["prompt"], o["negative"], o["model"], o["modelHash"].lower(), o["variant"],
                takes["a"], takes["b"], dict(outcomes), o), []


def _take(v: object, at: str, bad: List[str]) -> Optional[VoteTake]:
    if not isinstance(v, dict) or not isinstance(v.get("settings"), dict):
        bad.append(f"{at} should be a take: an object with settings and adapterHashes")
        return None
    s = v["settings"]
    for name in ("seed", "steps", "guidance"):
        if not isinstance(s.get(name), (int, float)) or isinstance(s.get(name), bool):
            bad.append(f"{at}.settings.{name} should be a number")
    if not isinstance(s.get("sampler"), str):
        bad.append(f"{at}.settings.sampler should be a sampler's name")
    hashes = v.get("adapterHashes")
    if not isinstance(hashes, dict) or not all(isinstance(h, str) and _SHA256.match(h) for h in hashes.values()):
        bad.append(f"{at}.adapterHashes should be an object of sha256 digests by adapter name")
        return None
    for a in s.get("adapters") or []:
        if isinstance(a, dict) and a.get("name") not in hashes:
            bad.append(f'{at}.adapterHashes.{a.get("name")} should be the sha256 of adapter "{a.get("name")}", which the take used')
    return VoteTake(s, {k: h.lower() for k, h in hashes.items()})


def parse_votes_jsonl(text: str) -> Tuple[List[Vote], List[LineProblem]]:
    """Every good vote, and one problem per bad line (numbered from 1). Blank lines are skipped."""
    votes, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            o = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(LineProblem(n, f"is not JSON ({e.msg})"))
            continue
        vote, bad = read_vote(o)
        if vote is None:
            problems.append(LineProblem(n, "; ".join(bad)))
        else:
            votes.append(vote)
    return votes, problems


def package_hash(package: Path) -> str:
    """The model hash votes record: the sha256 of the package's manifest.json (src/app/data/take-vote.ts)."""
    return hashlib.sha256((Path(package) / "manifest.json").read_bytes()).hexdigest()


class WrongModelError(ValueError):
    pass


def check_model(votes: List[Vote], package: Path) -> None:
    """Refuses, naming each vote, votes whose takes this package cannot make again."""
    have = package_hash(package)
    wrong = [v for v in votes if v.model_hash != have]
    if wrong:
        lines = [f'  vote {v.id}: made with model "{v.model}" (sha256 {v.model_hash[:12]}…)' for v in wrong]
        raise WrongModelError(
            f"{len(wrong)} vote(s) were made with another model than {package} (sha256 {have[:12]}…), "
            "so their takes cannot be made again; install that model's package or leave these votes out:\n" + "\n".join(lines))


def decisive_pairs(votes: List[Vote], dimension: str) -> List[Tuple[Vote, str]]:
    """(vote, winner 'a' or 'b') for each vote decisive on the dimension. Ties are dropped: the
    Flow-DPO loss needs a winner and a loser (the paper's loss is defined on win/lose pairs only)."""
    key = {"overall": "overall", "vq": "VQ", "mq": "MQ", "ta": "TA"}[dimension]
    out = []
    for v in votes:
        o = v.outcomes.get(key)
        if o in ("A", "B"):
            out.append((v, o.lower()))
    return out
