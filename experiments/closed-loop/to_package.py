"""The probe's model file (``closed_loop.py``, weights ``context.*``) as a package model file: the same network is
``small-4`` with ``closed_loop=True`` (weights ``closed_loop.*``, ``vqdeepsc.models.blocks.ClosedLoopChoice``).

    python to_package.py RUN/best.safetensors OUT.safetensors   # a run of the variant "mix"

Checks that both decode a batch of val tiles to the same images before writing."""
import json
import sys
from dataclasses import replace

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from vqdeepsc.checkpoint import save_model
from vqdeepsc.config import Preset
from vqdeepsc.data import embedded_photos
from vqdeepsc.models.system import VQDeepSC

import closed_loop

source, out = sys.argv[1:3]
with safe_open(source, "pt") as f:
    meta = f.metadata()
preset, options = Preset.from_dict(json.loads(meta["preset"])), json.loads(meta["quantizer_options"])
state = load_file(source)
closed_loop.ClosedLoop.variant = "mix"
probe = closed_loop.ClosedLoop(preset, **options)
probe.load_state_dict(state)
model = VQDeepSC(replace(preset, closed_loop=True), **options)
model.load_state_dict({k.replace("context.", "closed_loop.", 1): v for k, v in state.items()})
probe.eval(), model.eval()
images = torch.stack(list(embedded_photos(128).values()))
with torch.no_grad():
    a, b = probe.encode(images), model.encode(images)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert torch.equal(probe.decode(a), model.decode(b))
save_model(model, out, **json.loads(meta["record"]), converted_from=source)
print(f"{out}: the same indices and images on {len(images)} photos")
