"""Files that must survive: atomic writes, model weights as safetensors, full training checkpoints."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save as serialise
from safetensors import safe_open

from .config import AnalogPreset, Preset, preset_from_dict
from .models import build_model
from .models.system import VQDeepSC

MODEL_FORMAT = "vqdeepsc-model/1"


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(tmp_path)`` and rename the result onto ``path``: a crash leaves the old file intact. A write
    that fails (a full disk: an ``OSError``, or the ``RuntimeError`` of ``torch.save``) is an ``OSError`` naming
    ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        try:
            write(tmp)
        except (OSError, RuntimeError) as e:
            raise OSError(f"cannot write {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; give the usual permissions
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def new_model_path(output: str | Path) -> Path:
    """``output`` as the path of a model file still to be written: ``ValueError`` if it exists (nothing is
    overwritten) or does not end in ``.safetensors``."""
    out = Path(output)
    if out.exists():
        raise ValueError(f"{out} exists: choose another --output (nothing is overwritten)")
    if out.suffix != ".safetensors":
        raise ValueError(f"--output must end in .safetensors, got {out.name}")
    return out


def save_model(model: VQDeepSC, *paths: str | Path, **record) -> None:
    """The transceiver's weights as safetensors, serialised once and written to each of ``paths``; metadata:
    format, preset (with its quantizer), the quantizer's options and ``record`` (JSON values)."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": MODEL_FORMAT, "preset": json.dumps(model.preset.to_dict()), "record": json.dumps(record),
            "quantizer_options": json.dumps(getattr(model, "quantizer_options", {}))}
    data = serialise(state, metadata=meta)
    for path in paths:
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def _metadata(path: str | Path) -> dict:
    try:
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError) as e:
        raise ValueError(f"not a readable model file: {path} ({e})") from None
    if meta.get("format") != MODEL_FORMAT:
        raise ValueError(f"not a vqdeepsc model file (format {meta.get('format')!r}): {path}")
    return meta


def read_model_metadata(path: str | Path) -> tuple[Preset | AnalogPreset, dict]:
    """(preset, record) of a model file; ``ValueError`` if it is not one. Files written before presets named
    their quantizer hold the paper's VQ."""
    meta = _metadata(path)
    return preset_from_dict(json.loads(meta["preset"])), json.loads(meta.get("record", "{}"))


def _weights(path: str | Path) -> dict:
    """The tensors of the model file at ``path``; ``ValueError`` if it is corrupt or a tensor holds a NaN or an
    infinity (its decoder would give garbage)."""
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError) as e:
        raise ValueError(f"corrupt model file {path}: {e}") from None
    bad = next((k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()), None)
    if bad is not None:
        raise ValueError(f"model file {path} holds non-finite values (NaN or inf) in tensor {bad}")
    return state


def load_model(path: str | Path, expect_preset: str | None = None, device: str = "cpu"):
    """The model (``VQDeepSC``, or ``DeepJSCC`` for an analog preset) in eval mode from a file of ``save_model``."""
    meta = _metadata(path)
    preset = preset_from_dict(json.loads(meta["preset"]))
    if expect_preset is not None and preset.name != expect_preset:
        raise ValueError(f"{path} holds a {preset.name!r} model, not {expect_preset!r}")
    state = _weights(path)
    model = build_model(preset, **json.loads(meta.get("quantizer_options", "{}")))
    for name, identity in model.state_dict().items():  # files written before index labels: the identity
        if name.startswith("index_labels_"):
            state.setdefault(name, identity)
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise ValueError(f"weights in {path} do not fit preset {preset.name!r}: {str(e).splitlines()[0]}") from None
    return model.to(device).eval()


def load_matching_weights(model: VQDeepSC, path: str | Path) -> list[str]:
    """Start ``model`` from the model file at ``path``: the weights of its whole encoder and decoder (``ValueError``
    naming the first that does not fit), their buffers and the quantizer tensors that fit (none, from an upper
    bound). Returns the names of ``model``'s tensors left as they were."""
    _metadata(path)
    state = _weights(path)
    own = model.state_dict()
    fits = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    weights = (k for k, _ in model.named_parameters() if k.startswith(("encoder.", "decoder.")))
    misfit = next((k for k in weights if k not in fits), None)
    if misfit is not None:
        raise ValueError(f"{path} does not fit the encoder and decoder of a {model.preset.name!r} model "
                         f"(first misfit: {misfit})")
    model.load_state_dict(fits, strict=False)
    return [k for k in own if k not in fits]


def save_checkpoint(state: dict, path: str | Path) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_checkpoint(path: str | Path) -> dict:
    """A training checkpoint; ``ValueError`` if it is missing, truncated or not one."""
    if not Path(path).is_file():
        raise ValueError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch.load raises many types on a damaged file
        raise ValueError(f"corrupt checkpoint {path}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
    if not isinstance(state, dict) or state.get("format") != "vqdeepsc-checkpoint/1":
        raise ValueError(f"not a vqdeepsc training checkpoint: {path}")
    return state
