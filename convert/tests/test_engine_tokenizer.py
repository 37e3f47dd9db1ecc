"""The engine's tokenizer (src/engine/tokenizer.ts, @huggingface/tokenizers) on the converted package's
tokenizer.json gives exactly the ids and mask WanPipeline feeds umT5 (its transformers tokenizer with
padding="max_length", truncation, `</s>` appended)."""
from __future__ import annotations

import json
import os
import subprocess

from prereq import require_node_modules

HERE = os.path.dirname(__file__)
REPO = os.path.dirname(os.path.dirname(HERE))
PROMPTS = ["a red ball jumps on the beach", "", "A Red CAT  runs", "camera pans left " * 6, "a zebra at night",
           "shoe product shot, fast!"]


def test_engine_tokenizer_matches_the_pipeline_tokenizer(converted, tmp_path):
    from transformers import AutoTokenizer

    require_node_modules("tsx", "@huggingface/tokenizers")
    src, out = converted
    L = json.load(open(os.path.join(out, "manifest.json")))["text"]["maxLength"]
    prompts = tmp_path / "prompts.json"
    prompts.write_text(json.dumps(PROMPTS))
    res = subprocess.run(["npx", "tsx", os.path.join(HERE, "engine_tokenize.ts"), out, str(prompts)], cwd=REPO,
                         check=True, capture_output=True, text=True, timeout=300)
    engine = json.loads(res.stdout)
    ref = AutoTokenizer.from_pretrained(os.path.join(src, "tokenizer"))(
        PROMPTS, padding="max_length", max_length=L, truncation=True, add_special_tokens=True,
        return_attention_mask=True)  # WanPipeline._get_t5_prompt_embeds' call
    for i, p in enumerate(PROMPTS):
        assert engine[i]["ids"] == ref["input_ids"][i], p
        assert engine[i]["mask"] == ref["attention_mask"][i], p
    assert engine[3]["ids"][-1] == 1 and sum(engine[3]["mask"]) == L  # truncated, still ends in </s>
    assert "zebra" in engine[4]["unknown"]  # letters outside the fixture's pieces map to <unk>
