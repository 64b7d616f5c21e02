"""The models shipped inside the package (``vqdeepsc/weights/``), loaded by name and checked by sha256."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from .checkpoint import load_model
from .models.system import VQDeepSC


def _weights():
    return resources.files("vqdeepsc") / "weights"


def shipped() -> dict[str, dict]:
    """name -> record (file, sha256, training data, epochs, validation SSIM, command) of every shipped model."""
    index = _weights() / "models.json"
    return json.loads(index.read_text()) if index.is_file() else {}


def load(name: str, device: str = "cpu") -> VQDeepSC:
    """The shipped model ``name`` (e.g. ``"small-4"``) in eval mode; ``ValueError`` if absent or altered."""
    records = shipped()
    if name not in records:
        raise ValueError(f"no shipped model {name!r}; shipped: {', '.join(records) or 'none'}")
    record = records[name]
    path = _weights() / record["file"]
    if not path.is_file():
        raise ValueError(f"weights file of {name!r} is missing: {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != record["sha256"]:
        raise ValueError(f"weights file {path} is altered: sha256 {digest[:16]}... != recorded {record['sha256'][:16]}...")
    with resources.as_file(path) as p:
        return load_model(p, expect_preset=record["preset"], device=device)


def resolve_model(spec: str, device: str = "cpu") -> tuple[VQDeepSC, dict]:
    """A shipped model's name or a ``.safetensors`` file of ``save_model`` -> (model in eval mode, its record:
    ``model`` (spec), ``file``, ``sha256``, ``preset``)."""
    records = shipped()
    if spec in records:
        record = records[spec]
        return load(spec, device), {"model": spec, "file": record["file"], "sha256": record["sha256"],
                                    "preset": record["preset"]}
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"no shipped model or model file {spec!r} (shipped: {', '.join(records) or 'none'})")
    model = load_model(path, device=device)
    return model, {"model": spec, "file": str(path.resolve()), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                   "preset": model.preset.name}


def analog_for(symbols: int, height: int, width: int) -> str:
    """The name of the shipped analog Deep-JSCC model whose ``height x width`` images take ``symbols`` channel
    symbols; ``ValueError`` naming the shipped bandwidths if none does."""
    from .config import AnalogPreset, get_preset

    analog = {name: get_preset(r["preset"]) for name, r in shipped().items()
              if isinstance(get_preset(r["preset"]), AnalogPreset)}
    for name, preset in analog.items():
        if preset.symbols_for(height, width) == symbols:
            return name
    have = ", ".join(f"{n} ({p.symbols_for(height, width)})" for n, p in analog.items()) or "none"
    raise ValueError(f"no shipped analog Deep-JSCC model sends {symbols} symbols per {height}x{width} image; shipped "
                     f"(symbols per {height}x{width} image): {have}; pass --analog MODEL_FILE or another --symbols")
