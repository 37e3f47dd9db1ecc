import glob, os, torch
src, dst = "runs/data4b", "runs/data4b-simple"
os.makedirs(dst, exist_ok=True)
ok = lambda s: len(s["scenes"]) == 1 and len(s["scenes"][0]["objects"]) == 1 and s["scenes"][0]["background"] == "solid"
n = tot = 0
for f in sorted(glob.glob(f"{src}/shard-*.pt")):
    sh = torch.load(f, weights_only=False)
    idx = [i for i, s in enumerate(sh["specs"]) if ok(s)]
    tot += len(sh["specs"]); n += len(idx)
    out = {k: (v[idx] if torch.is_tensor(v) else [v[i] for i in idx]) if k != "seed" else v for k, v in sh.items()}
    torch.save(out, os.path.join(dst, os.path.basename(f)))
    print(f, len(idx), flush=True)
os.system(f"cp {src}/empty.pt {dst}/")
print("simple", n, "of", tot)
