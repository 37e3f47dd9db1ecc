"""Scratch: a continuous shape score for evaluate --frames-out clips: IoU of the object's crop with
the asked shape's templates, and its margin over the best other shape (judge.py's own masks/templates)."""
import json, sys
import numpy as np
sys.path.insert(0, "training")
from vidlet_train import judge as J

def ious(frames):
    f = frames.astype(np.float32) / 255
    n = f.shape[0]
    border = np.concatenate([f[:, :2].reshape(-1, 3), f[:, -2:].reshape(-1, 3), f[:, :, :2].reshape(-1, 3), f[:, :, -2:].reshape(-1, 3)])
    bg = np.median(border, 0)
    masks = np.sqrt(((f - bg) ** 2).sum(-1)) > 0.25
    areas = masks.reshape(n, -1).sum(1)
    if areas.max() < 12:
        return None
    full = np.nonzero(areas >= 0.8 * areas.max())[0]
    crop = J._square_crop(masks[int(full[0])])
    if crop is None:
        return None
    if J._TEMPLATES is None:
        J._TEMPLATES = J._templates()
    return {k: max((crop & t).sum() / max(1, (crop | t).sum()) for t in ts) for k, ts in J._TEMPLATES.items()}

prompts = {p["id"]: p for p in json.load(open(sys.argv[1]))}
for path in sys.argv[2:]:
    z = np.load(path)
    asked, margin, acc = [], [], []
    for fr, i in zip(z["frames"], z["ids"]):
        want = prompts[str(i)]["shape"]
        s = ious(fr)
        if s is None:
            asked.append(0); margin.append(-1); acc.append(0); continue
        other = max(v for k, v in s.items() if k != want)
        asked.append(s[want]); margin.append(s[want] - other); acc.append(s[want] > other)
    a, m = np.array(asked), np.array(margin)
    print(f"{path}: n {len(a)} asked-IoU {a.mean():.4f} ± {a.std() / len(a) ** .5:.4f}  margin {m.mean():.4f} ± {m.std() / len(m) ** .5:.4f}  acc {np.mean(acc):.3f}")
