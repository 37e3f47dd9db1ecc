import copy
import hashlib
import json

import pytest

from vidlet_train.reward.votes import WrongModelError, check_model, decisive_pairs, parse_votes_jsonl


def settings(seed):
    return {"prompt": "a red ball bounces", "negativePrompt": "", "seed": seed, "steps": 4, "guidance": 5,
            "innerGuidance": 3, "sampler": "euler", "adapters": [], "blend": "constant"}


def record(model_hash, vid="v1", outcomes=None):
    return {"version": 1, "id": vid, "createdAt": 1, "prompt": "a red ball bounces", "negative": "",
            "model": "vidlet-tiny", "modelHash": model_hash, "variant": "fp32",
            "a": {"settings": settings(1), "adapterHashes": {}}, "b": {"settings": settings(2), "adapterHashes": {}},
            "outcomes": outcomes or {"overall": "A", "VQ": "tie"}}


@pytest.fixture
def package(tmp_path):
    (tmp_path / "manifest.json").write_text('{"name": "vidlet-tiny"}')
    return tmp_path, hashlib.sha256(b'{"name": "vidlet-tiny"}').hexdigest()


def test_reads_good_records_and_names_bad_lines(package):
    _, h = package
    bad = copy.deepcopy(record(h, "v3"))
    del bad["a"]["settings"]["seed"]
    text = "\n".join([json.dumps(record(h)), "{not json", "", json.dumps(bad), json.dumps(record(h, "v4", {"TA": "B"}))])
    votes, problems = parse_votes_jsonl(text)
    assert [v.id for v in votes] == ["v1", "v4"]
    assert [p.line for p in problems] == [2, 4]
    assert "not JSON" in problems[0].message
    assert "a.settings.seed" in problems[1].message


def test_version_other_than_1_is_refused(package):
    _, h = package
    r = record(h)
    r["version"] = 2
    _, problems = parse_votes_jsonl(json.dumps(r))
    assert "version" in problems[0].message


def test_wrong_model_names_the_vote_and_the_model(package):
    path, h = package
    votes, _ = parse_votes_jsonl(json.dumps(record(h)) + "\n" + json.dumps(record("ab" * 32, "other-vote")))
    with pytest.raises(WrongModelError) as e:
        check_model(votes, path)
    assert "other-vote" in str(e.value) and "abababababab" in str(e.value) and "v1:" not in str(e.value)
    check_model(votes[:1], path)  # the right model passes


def test_ties_and_unvoted_dimensions_are_dropped(package):
    _, h = package
    votes, _ = parse_votes_jsonl(json.dumps(record(h)) + "\n" + json.dumps(record(h, "v2", {"overall": "B", "VQ": "B"})))
    assert [(v.id, w) for v, w in decisive_pairs(votes, "overall")] == [("v1", "a"), ("v2", "b")]
    assert [(v.id, w) for v, w in decisive_pairs(votes, "vq")] == [("v2", "b")]
    assert decisive_pairs(votes, "mq") == []


def test_one_click_overall_vote_counts_for_overall_only(package):
    # The page's one-click overall vote records "overall" alone (src/app/data/vote-keys.ts): it is
    # a decisive pair for --dimension overall and says nothing on VQ, MQ or TA.
    _, h = package
    votes, problems = parse_votes_jsonl(json.dumps(record(h, "click", {"overall": "B"})))
    assert problems == [] and votes[0].outcomes == {"overall": "B"}
    assert [(v.id, w) for v, w in decisive_pairs(votes, "overall")] == [("click", "b")]
    assert all(decisive_pairs(votes, d) == [] for d in ("vq", "mq", "ta"))
