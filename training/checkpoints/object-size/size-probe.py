import random, sys, json, time
import numpy as np
from vidlet_train.judge import CheckpointVAE, judge_clip, direction_of, to_frames, score
from vidlet_train.world import render_clips
from vidlet_train.world.sample import sample_scene, _start_position
from vidlet_train.world import ClipSpec
vae = CheckpointVAE(sys.argv[1])
n = int(sys.argv[2])
for k in [float(x) for x in sys.argv[3:]]:
    rng = random.Random(7); t0 = time.time()
    acc = {"gt": {"shape": 0, "colour": 0, "direction": 0}, "vae": {"shape": 0, "colour": 0, "direction": 0}}
    for i in range(n):
        s = sample_scene(rng, 16, 1)
        s.background, s.camera = "solid", "none"
        o = s.objects[0]
        o.size *= k
        o.x0, o.y0 = _start_position(random.Random(i), o.motion, o.size)
        want = {"colour": o.colour, "shape": o.shape, "background": s.bg_colour, "direction": direction_of(o.motion)}
        truth = to_frames(render_clips([ClipSpec([s], "")], 16, 128)[0])
        rt = vae.round_trip_frames(truth)
        for name, fr in (("gt", truth[0]), ("vae", rt[0])):
            c = score(judge_clip(fr), want)
            for a in acc[name]: acc[name][a] += c[a]
    print(k, {m: {a: v / n for a, v in d.items()} for m, d in acc.items()}, f"{time.time()-t0:.0f}s", flush=True)
