"""Rebuild the PyTorch checkpoints (runs/dit/final.pt, runs/vae/final.pt, and runs/dit-scenes/final.pt
for a package with a sceneDenoiser) from a model package's fp32 ONNX graphs.

Why: training/runs/ is not in git (hundreds of MB of caches), so a fresh clone has the shipped
model only as ONNX. Adapter training (vidlet_train.adapters) and Python-side evaluation need the
very weights the page runs, not a retrained look-alike, so we read them back out of the graphs.

How: the TorchScript exporter renames and reshapes some weights while constant-folding (a Linear's
weight becomes a transposed `onnx::MatMul_N`, a GroupNorm's weight a reshaped `onnx::Mul_N`).
Rather than guessing those rules, we export a freshly built module of the same architecture whose
every parameter holds distinct random values, and find each parameter in that export's
initializers (as is, reshaped, or transposed). The same exporter on the same code names the
shipped graph's initializers the same way, so the mapping carries over. The result is then
checked: the recovered modules must reproduce the shipped graphs' outputs in onnxruntime.

    cd training && .venv/bin/python -m vidlet_train.recover --package ../public/models/vidlet-tiny --out runs
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import numpy_helper

from . import graph_io
from .dit import DiTConfig, VideoDiT
from .export import export_graph, file_stem
from .text_encoder import MAX_LENGTH
from .vae import DiffusionLatentDecoder, DiffusionLatentEncoder, PreviewDecoder, VAEConfig, build_vae


class RecoveryError(RuntimeError):
    pass


def initializers(path: str) -> dict[str, np.ndarray]:
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(path, load_external_data=True).graph.initializer}


def fingerprint(params: dict[str, torch.Tensor], seed: int = 0) -> None:
    """Distinct values in every tensor, so a value pattern names exactly one parameter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in params.values():
            p.copy_(torch.randn(p.shape, generator=g) + 0.01)


def locate(params: dict[str, torch.Tensor], exported: dict[str, np.ndarray]) -> dict[str, tuple[str, str]]:
    """parameter name -> (initializer name, 'same' | 'transpose'), from a fingerprinted export."""
    by_size: dict[int, list[tuple[str, np.ndarray]]] = {}
    for name, arr in exported.items():
        by_size.setdefault(arr.size, []).append((name, arr))
    found = {}
    for pname, p in params.items():
        v = p.detach().numpy()
        for iname, arr in by_size.get(v.size, []):
            if arr.dtype != np.float32:
                continue
            if np.array_equal(arr.reshape(-1), v.reshape(-1)):
                found[pname] = (iname, "same")
                break
            if v.ndim == 2 and np.array_equal(arr.reshape(-1), v.T.reshape(-1)):
                found[pname] = (iname, "transpose")
                break
    return found


def _auto_named(name: str) -> tuple[str, int] | None:
    """('onnx::MatMul', 3382) for an exporter-made name, None for a parameter's own name."""
    head, _, num = name.rpartition("_")
    return (head, int(num)) if name.startswith("onnx::") and num.isdigit() else None


def counterparts(probe: dict[str, np.ndarray], shipped: dict[str, np.ndarray]) -> dict[str, str]:
    """probe initializer name -> the shipped graph's name for the same tensor.

    Exporter-made names number values in tracing order, so any extra node (a slice, a reshape)
    before a weight shifts its number between two versions of the export code. Their relative order
    does not move: the k-th `onnx::MatMul_*` of a given shape in the probe is the k-th in the shipped
    graph. Parameter-named initializers keep their names. The output check in main() catches a
    wrong pairing."""
    def ranked(inits):
        groups: dict[tuple, list[tuple[int, str]]] = {}
        for name, arr in inits.items():
            auto = _auto_named(name)
            if auto:
                groups.setdefault((auto[0], arr.shape), []).append((auto[1], name))
        return {k: [n for _, n in sorted(v)] for k, v in groups.items()}
    mine, theirs = ranked(probe), ranked(shipped)
    out = {name: name for name in probe if not _auto_named(name)}
    for key, names in mine.items():
        other = theirs.get(key, [])
        if len(other) == len(names):
            out.update(zip(names, other))
    return out


def load_located(params: dict[str, torch.Tensor], where: dict[str, tuple[str, str]], shipped: dict[str, np.ndarray],
                 probe: dict[str, np.ndarray] | None = None) -> None:
    names = counterparts(probe, shipped) if probe is not None else {}
    with torch.no_grad():
        for pname, (iname, how) in where.items():
            iname = names.get(iname, iname)
            if iname not in shipped:
                raise RecoveryError(f"the shipped graph has no initializer {iname} (for {pname}): was it exported by another version of vidlet_train.export?")
            arr = shipped[iname]
            t = torch.from_numpy(arr.T.copy() if how == "transpose" else arr.copy())
            params[pname].copy_(t.reshape(params[pname].shape))


def max_error(path: str, module: torch.nn.Module, feeds: dict[str, torch.Tensor], outputs: list[str]) -> float:
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(outputs, {k: v.numpy() for k, v in feeds.items()})
    with torch.no_grad():
        ref = module(*feeds.values())
    ref = ref if isinstance(ref, (tuple, list)) else (ref,)
    return float(max(np.abs(a - b.numpy()).max() for a, b in zip(got, ref)))


def recover_dit(package: Path, cfg: DiTConfig, tmp: Path, per_scene: bool = False,
                fname: str = "denoiser.onnx") -> tuple[VideoDiT, float]:
    """The DiT of graph `fname`. per_scene: that graph takes text_frame_mask (graph_io.py), so the
    probe does too."""
    dit = VideoDiT(cfg).eval()
    params = dict(dit.named_parameters())
    fingerprint(params)
    torch.manual_seed(1)
    feeds = graph_io.probe_feeds(cfg, MAX_LENGTH, 2, [1.0, 0.0], [cfg.frames] if per_scene else None)
    names, outs = graph_io.names(per_scene), graph_io.OUTPUTS
    probe = str(tmp / f"probe.{fname}")
    export_graph(dit, tuple(feeds.values()), probe, names, outs, graph_io.dynamic_axes(per_scene))
    probed = initializers(probe)
    where = locate(params, probed)
    missing = sorted(set(params) - set(where))
    if missing:
        raise RecoveryError(f"could not find these DiT parameters in the exported graph: {missing[:8]}")
    path = str(package / fname)
    load_located(params, where, initializers(path), probed)
    return dit, max_error(path, dit, feeds, outs)


def recover_vae(package: Path, tmp: Path, vae_cfg: dict | None,
                per_scene: bool = False) -> tuple[torch.nn.Module, PreviewDecoder, dict[str, float]]:
    vae, prev = build_vae(vae_cfg)
    vae, prev = vae.eval(), prev.eval()
    params = {f"vae.{k}": v for k, v in vae.named_parameters()}
    params.update({f"prev.{k}": v for k, v in prev.named_parameters()})
    params["vae.shift"], params["vae.scale"] = vae.shift, vae.scale
    fingerprint(params)
    torch.manual_seed(2)
    grid = 128 // getattr(vae, "cfg", VAEConfig()).spatial
    z = torch.randn(1, vae.zc, 4, grid, grid)
    video = torch.rand(1, 3, 16, 128, 128) * 2 - 1
    graphs = [
        ("vae_encoder.onnx", DiffusionLatentEncoder(vae), {"video": video}, ["latent"]),
        ("vae_decoder.onnx", DiffusionLatentDecoder(vae), {"latent": z}, ["video"]),
        ("preview_decoder.onnx", DiffusionLatentDecoder(vae, prev), {"latent": z}, ["preview"]),
    ]
    where: dict[str, tuple[str, str]] = {}
    probed: dict[str, dict[str, np.ndarray]] = {}
    for fname, module, feeds, outs in graphs:
        probe = str(tmp / fname)
        (name_in,) = feeds
        # the encoder is batch-dynamic only; the decoders as the package exported them (graph_io.py)
        axes = {0: "b"} if name_in == "video" else graph_io.decoder_axes(per_scene)
        export_graph(module, tuple(feeds.values()), probe, [name_in], outs, {name_in: axes, outs[0]: axes})
        probed[fname] = initializers(probe)
        for pname, loc in locate(params, probed[fname]).items():
            where.setdefault(pname, (fname, *loc))  # type: ignore[arg-type]
    missing = sorted(set(params) - set(where))
    if missing:
        raise RecoveryError(f"could not find these VAE parameters in the exported graphs: {missing[:8]}")
    shipped = {f: initializers(str(package / f)) for f, *_ in graphs}
    with torch.no_grad():
        for pname, (fname, iname, how) in where.items():  # type: ignore[misc]
            load_located({pname: params[pname]}, {pname: (iname, how)}, shipped[fname], probed[fname])
    errors = {fname: max_error(str(package / fname), module, feeds, outs) for fname, module, feeds, outs in graphs}
    return vae, prev, errors


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", type=Path, default=Path(__file__).resolve().parents[2] / "public" / "models" / "vidlet-tiny")
    ap.add_argument("--out", type=Path, default=Path("runs"))
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    report = json.loads((args.package / "export_report.json").read_text())
    cfg = DiTConfig(**report["dit"])
    manifest_path = args.package / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    # the scene DiT's own config where the report has one (export --scene-dit writes it)
    scene_cfg = DiTConfig(**report.get("sceneDit", report["dit"])) if graph_io.has_scene_denoiser(manifest) else None
    scene_file = f"{file_stem(graph_io.SCENE_DENOISER)}.onnx"
    dits: dict[str, tuple[VideoDiT, DiTConfig]] = {}
    errors: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        dit, errors["denoiser.onnx"] = recover_dit(args.package, cfg, tmp, graph_io.denoiser_takes_frame_mask(manifest))
        dits["dit"] = (dit, cfg)
        if scene_cfg is not None:
            scene_dit, errors[scene_file] = recover_dit(args.package, scene_cfg, tmp, True, scene_file)
            dits["dit-scenes"] = (scene_dit, scene_cfg)
        # a per-scene package's decoders take any number of latent frames, whichever graph makes its plans
        vae, prev, vae_err = recover_vae(args.package, tmp, report.get("vae"), graph_io.is_per_scene(manifest))
    errors.update(vae_err)
    bad = {k: v for k, v in errors.items() if not v <= args.tolerance}
    if bad:
        raise RecoveryError(f"recovered weights do not reproduce the shipped graphs (max abs error {bad}); nothing written")
    wrote = []
    for run, (net, net_cfg) in dits.items():
        os.makedirs(args.out / run, exist_ok=True)
        torch.save({"cfg": net_cfg.to_dict(), "ema": net.state_dict(), "recovered_from": str(args.package)}, args.out / run / "final.pt")
        wrote.append(str(args.out / run / "final.pt"))
    os.makedirs(args.out / "vae", exist_ok=True)
    vae_ck = {"vae": vae.state_dict(), "preview": prev.state_dict(), "recovered_from": str(args.package)}
    if report.get("vae"):  # packages before the VAE config carry the v1 VAE, which load_vae builds without one
        vae_ck["cfg"] = report["vae"]
    torch.save(vae_ck, args.out / "vae" / "final.pt")
    wrote.append(str(args.out / "vae" / "final.pt"))
    print(json.dumps({"max_abs_error_vs_shipped_onnx": errors, "wrote": wrote}, indent=1))


if __name__ == "__main__":
    main()
