"""--sigmas / --sampler / --guidance and the manifest's schedule section (schedule.py), without the
converter's heavy dependencies: schedule.py is standard library only, and __main__ needs onnx + torch
only for its imports (the training venv has both; diffusers is not needed)."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from prereq import require, require_node_modules
from vidlet_convert.__main__ import parse_args
from vidlet_convert.components import attention_size
from vidlet_convert.package import ConversionError
from vidlet_convert.schedule import (MAX_SIGMAS, SAMPLERS, describe_schedule, parse_sigmas, publisher_sampling, schedule_section,
                                     shift_terminal_problem, sigma_list_problem)
from vidlet_convert.wan import describe

# the made-up checkpoint's attention at its (3, 4, 4) latent: 12 tokens of 2 heads (manifest video.attentionScoresBytes)
ATTENTION = attention_size(12, 2)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LIST = [1.0, 0.9937, 0.9875, 0.9812, 0.975, 0.9094, 0.725, 0.4219]
BASE = ["wan", "--from", "ckpt", "--out", "pkg"]

GOOD = [LIST, [1.0], [0.9, 0.5], [1 - i / 200 for i in range(200)]]
BAD = [[], [1 - i / 201 for i in range(201)], [1.2, 0.5], [1.0, 0.5, 0.0], [1.0, -0.5], [1.0, 0.5, 0.5], [0.2, 0.6],
       [0.5, 0.5 - 1e-12], [1.0, float("inf")]]


def test_parse_sigmas_takes_the_publishers_list_and_refuses_a_bad_one():
    assert parse_sigmas("1,0.9937,0.9875,0.9812,0.975,0.9094,0.725,0.4219") == LIST
    for text, message in [("1,0.5,0", "entry 2 is 0.0, but must be in (0, 1]"), ("1,0.6,0.7", "entry 2 is 0.7, but must be below"),
                          ("1,x", "not a comma-separated list"), ("", "not a comma-separated list")]:
        with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_sigmas(text)


def test_options_write_the_list_the_sampler_and_no_cfg():
    args = parse_args(BASE + ["--sigmas", "1,0.9375,0.8333,0.625", "--sampler", "x0-renoise", "--guidance", "1"])
    assert (args.sigmas, args.sampler, args.guidance, args.steps) == ([1.0, 0.9375, 0.8333, 0.625], "x0-renoise", 1.0, None)
    section = schedule_section(publisher_shift=3.0, steps=args.steps, guidance=args.guidance, sampler=args.sampler, sigmas=args.sigmas)
    # the list alone: shift, spacing and defaultSteps would contradict it (the engine refuses them)
    assert section == {"type": "flow-matching", "sigmas": [1.0, 0.9375, 0.8333, 0.625], "defaultGuidance": 1.0,
                       "defaultInnerGuidance": 0.0, "defaultSampler": "x0-renoise"}
    assert "fixed list of 4 noise levels [1, 0.9375, 0.8333, 0.625]" in describe_schedule(section)
    assert "no CFG" in describe_schedule(section)
    # --steps equal to the list's length is harmless; another count is refused
    assert parse_args(BASE + ["--sigmas", "1,0.5", "--steps", "2"]).steps == 2
    with pytest.raises(SystemExit):
        parse_args(BASE + ["--sigmas", "1,0.5", "--steps", "50"])
    for bad in (["--sampler", "ddim"], ["--guidance", "0"], ["--sigmas", "1,2"]):
        with pytest.raises(SystemExit):
            parse_args(BASE + bad)


def test_without_a_list_the_section_is_as_before():
    args = parse_args(BASE)
    assert (args.sigmas, args.steps, args.sampler, args.guidance) == (None, 50, None, 5.0)  # None: the publisher's
    section = schedule_section(publisher_shift=3, steps=args.steps, guidance=args.guidance, sampler="euler", sigmas=None)
    assert section == {"type": "flow-matching", "shift": 3.0, "spacing": "diffusers", "defaultSteps": 50, "defaultGuidance": 5.0,
                       "defaultInnerGuidance": 0.0, "defaultSampler": "euler"}
    assert describe_schedule(section) == "`euler`, 50 steps by default on diffusers' sigma grid, shift 3, CFG 5"


def manifest_for(argv: list[str]) -> dict:
    """wan.describe (manifest.json) for the options in argv, on a made-up checkpoint's facts."""
    return describe(parse_args(BASE + argv), {"_class_name": "WanPipeline"}, {"flow_shift": 3.0}, (3, 4, 4), ATTENTION,
                    [0.0] * 16, [1.0] * 16, {}, 32)


def test_the_manifest_holds_the_options():
    m = manifest_for(["--sigmas", "1,0.9375,0.8333,0.625", "--sampler", "x0-renoise", "--guidance", "1"])
    # the clip's size with its attention figure, which the engine judges a package without presets by
    assert m["video"]["attentionScoresBytes"] == ATTENTION["scoresBytesBatch2"] == 2 * 2 * 12 * 12 * 4
    assert m["schedule"] == {"type": "flow-matching", "sigmas": [1.0, 0.9375, 0.8333, 0.625], "defaultGuidance": 1.0,
                             "defaultInnerGuidance": 0.0, "defaultSampler": "x0-renoise"}
    # without --sigmas: the publisher's flow_shift on diffusers' grid, as before
    assert manifest_for([])["schedule"] == {"type": "flow-matching", "shift": 3.0, "spacing": "diffusers", "defaultSteps": 50,
                                            "defaultGuidance": 5.0, "defaultInnerGuidance": 0.0, "defaultSampler": "euler"}


# Wan2.1-T2V-1.3B-Diffusers' scheduler_config.json as diffusers writes it (the fixture's, fixture.WAN_SCHEDULER)
WAN_UNIPC = {"_class_name": "UniPCMultistepScheduler", "beta_end": 0.02, "beta_schedule": "linear", "beta_start": 0.0001,
             "disable_corrector": [], "dynamic_thresholding_ratio": 0.995, "final_sigmas_type": "zero", "flow_shift": 3.0,
             "lower_order_final": True, "num_train_timesteps": 1000, "predict_x0": True,
             "prediction_type": "flow_prediction", "rescale_betas_zero_snr": False, "sample_max_value": 1.0,
             "solver_order": 2, "solver_p": None, "solver_type": "bh2", "steps_offset": 0, "thresholding": False,
             "timestep_spacing": "linspace", "trained_betas": None, "use_beta_sigmas": False,
             "use_exponential_sigmas": False, "use_flow_sigmas": True, "use_karras_sigmas": False}


def test_a_unipc_checkpoint_gets_its_grid_and_unipc_unless_sampler_is_given():
    def manifest(sched: dict, argv=()) -> dict:
        return describe(parse_args(BASE + list(argv)), {"_class_name": "WanPipeline"}, sched, (3, 4, 4), ATTENTION,
                        [0.0] * 16, [1.0] * 16, {}, 32)["schedule"]

    assert manifest(WAN_UNIPC) == {"type": "flow-matching", "shift": 3.0, "spacing": "diffusers-unipc", "defaultSteps": 50,
                                   "defaultGuidance": 5.0, "defaultInnerGuidance": 0.0, "defaultSampler": "unipc"}
    assert describe_schedule(manifest(WAN_UNIPC)) == "`unipc`, 50 steps by default on diffusers' UniPC sigma grid, shift 3, CFG 5"
    # the user's --sampler wins; the grid stays the publisher's
    assert (manifest(WAN_UNIPC, ["--sampler", "euler"])["defaultSampler"], manifest(WAN_UNIPC, ["--sampler", "euler"])["spacing"]) \
        == ("euler", "diffusers-unipc")
    # FlowMatchEuler (or no config): as before
    assert publisher_sampling({"_class_name": "FlowMatchEulerDiscreteScheduler", "shift": 3.0}, None) == ("diffusers", "euler")
    assert publisher_sampling({}, "heun") == ("diffusers", "heun")
    # a UniPC solver the engine's is not: refused unless --sampler says what to use; a grid it cannot express: refused
    third = {**WAN_UNIPC, "solver_order": 3}
    with pytest.raises(ConversionError, match=r"solver_order 3 \(the engine implements 2\).*Pass --sampler"):
        manifest(third)
    assert manifest(third, ["--sampler", "unipc"])["defaultSampler"] == "unipc"
    for field, value in [("use_dynamic_shifting", True), ("prediction_type", "epsilon"), ("shift_terminal", 0.1)]:
        with pytest.raises(ConversionError, match=f"no schedule.spacing expresses: {field}"):
            manifest({**WAN_UNIPC, field: value}, ["--sampler", "euler"])
    # diffusers' defaults fill what a config leaves out: without prediction_type it is an epsilon model
    with pytest.raises(ConversionError, match='prediction_type "epsilon"'):
        manifest({"_class_name": "UniPCMultistepScheduler", "use_flow_sigmas": True})


TERMINALS = [0.1, 1e-6, 0.999, 0, 1, -0.1, 1.5, "0.1", None, True]


def test_shift_terminal_is_written_on_a_computed_grid_only():
    """LTX's scheduler shift_terminal becomes schedule.shiftTerminal beside shift and spacing; a list takes none."""
    section = schedule_section(publisher_shift=3.27, steps=50, guidance=3, sampler="euler", sigmas=None, spacing="vidlet",
                               shift_terminal=0.1)
    assert section == {"type": "flow-matching", "shift": 3.27, "spacing": "vidlet", "shiftTerminal": 0.1, "defaultSteps": 50,
                       "defaultGuidance": 3.0, "defaultInnerGuidance": 0.0, "defaultSampler": "euler"}
    assert describe_schedule(section) == "`euler`, 50 steps by default on a linear sigma grid, shift 3.27 stretched to end at 0.1, CFG 3"
    assert "shiftTerminal" not in schedule_section(publisher_shift=1, steps=None, guidance=1, sampler="euler", sigmas=[1.0, 0.5],
                                                   spacing="vidlet", shift_terminal=0.1)
    with pytest.raises(ValueError, match=r"shift_terminal is 1, but must be in \(0, 1\)"):
        schedule_section(publisher_shift=1, steps=4, guidance=1, sampler="euler", sigmas=None, shift_terminal=1)


def test_python_rule_agrees_on_the_table():
    assert all(sigma_list_problem(l) is None for l in GOOD)
    assert all(sigma_list_problem(l) is not None for l in BAD)


def test_a_missing_prerequisite_skips_here_and_fails_in_ci():
    require(True, "x", "y", env={"CI": "true"})  # present: nothing happens
    with pytest.raises(pytest.skip.Exception, match="x is missing, so this test cannot run. Install it: y."):
        require(False, "x", "y", env={})
    for ci in ("true", "1"):
        with pytest.raises(pytest.fail.Exception, match=f"In CI \\(CI={ci}\\) this fails instead of skipping"):
            require(False, "x", "y", env={"CI": ci})
    with pytest.raises(pytest.skip.Exception):
        require(False, "x", "y", env={"CI": "false"})


def test_the_engine_agrees_and_parses_what_the_converter_writes(tmp_path):
    """The engine's own rule (src/package/schedule.ts) and parser (src/store/manifest-schedule.ts) on the
    same lists and on the sections schedule_section writes, so the two languages cannot drift apart."""
    require_node_modules("tsx")
    sections = [manifest_for(["--sigmas", ",".join(map(str, LIST)), "--sampler", "x0-renoise", "--guidance", "1"])["schedule"],
                manifest_for([])["schedule"],
                schedule_section(publisher_shift=3.27, steps=50, guidance=3, sampler="euler", sigmas=None, spacing="vidlet",
                                 shift_terminal=0.1),
                describe(parse_args(BASE), {"_class_name": "WanPipeline"}, WAN_UNIPC, (3, 4, 4), ATTENTION, [0.0] * 16,
                         [1.0] * 16, {}, 32)["schedule"]]
    # JSON has no Infinity: the engine's rule for it is checked in its own unit tests
    lists = [l for l in GOOD + BAD if all(abs(x) != float("inf") for x in l)]
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps({"lists": lists, "terminals": TERMINALS, "schedules": sections}))
    res = subprocess.run(["npx", "tsx", os.path.join(HERE, "schedule_check.ts"), str(cases)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert tuple(got["samplers"]) == SAMPLERS
    assert got["maxSigmas"] == MAX_SIGMAS
    assert [p is None for p in got["lists"]] == [sigma_list_problem(l) is None for l in lists]
    assert got["schedules"][0] == {"ok": {"type": "flow-matching", "shift": 1, "spacing": "vidlet", "sigmas": LIST,
                                          "defaultSteps": 8, "defaultGuidance": 1, "defaultInnerGuidance": 0,
                                          "defaultContrast": 0,  # the converter writes none: contrast guidance off
                                          "defaultSampler": "x0-renoise"}}
    assert got["schedules"][1]["ok"]["spacing"] == "diffusers" and got["schedules"][1]["ok"]["defaultSteps"] == 50
    assert got["schedules"][2]["ok"]["shiftTerminal"] == 0.1
    assert (got["schedules"][3]["ok"]["spacing"], got["schedules"][3]["ok"]["defaultSampler"]) == ("diffusers-unipc", "unipc")
    # the same values refused, in the same words
    assert got["terminals"] == [shift_terminal_problem(v) for v in TERMINALS]
