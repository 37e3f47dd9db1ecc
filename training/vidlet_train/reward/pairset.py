"""Pairs as tensors for training and evaluation: both takes (uint8), the prompt's token states from the
frozen MiniLM (float16) and mask, the outcome codes, and each pair's kind."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..text_encoder import MiniLM, Tokenizer, encode_texts
from .pairs import Pair


class TextEncoder:
    """The package's text encoder in PyTorch (fp32), loaded once; each distinct prompt encoded once."""

    def __init__(self):
        self.model, self.tok = MiniLM.pretrained(), Tokenizer()

    def __call__(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        unique = list(dict.fromkeys(texts))
        states, masks = encode_texts(self.model, self.tok, unique)
        where = {t: i for i, t in enumerate(unique)}
        idx = torch.tensor([where[t] for t in texts], dtype=torch.long)
        return states[idx], masks[idx]


@dataclass
class PairSet:
    a: torch.Tensor  # uint8 [N, 3, T, H, W]
    b: torch.Tensor
    text: torch.Tensor  # float16 [N, L, 384]
    mask: torch.Tensor  # uint8 [N, L]
    outcomes: torch.Tensor  # long [N, 3] (btt codes; UNLABELLED = -1)
    kinds: list[str]

    def __len__(self) -> int:
        return len(self.kinds)

    @classmethod
    def build(cls, pairs: list[Pair], encoder: TextEncoder) -> "PairSet":
        text, mask = encoder([p.prompt for p in pairs])
        return cls(torch.stack([p.a for p in pairs]), torch.stack([p.b for p in pairs]), text, mask,
                   torch.tensor([p.outcomes for p in pairs], dtype=torch.long), [p.kind for p in pairs])

    def take(self, idx: torch.Tensor) -> "PairSet":
        return PairSet(self.a[idx], self.b[idx], self.text[idx], self.mask[idx], self.outcomes[idx],
                       [self.kinds[i] for i in idx.tolist()])

    @staticmethod
    def cat(sets: list["PairSet"]) -> "PairSet":
        return PairSet(*(torch.cat([getattr(s, f) for s in sets]) for f in ("a", "b", "text", "mask", "outcomes")),
                       [k for s in sets for k in s.kinds])


def from_u8(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 127.5 - 1
