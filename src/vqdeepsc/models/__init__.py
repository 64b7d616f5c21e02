"""The networks: VQ-DeepSC (:class:`~.system.VQDeepSC`) and its analog rival Deep-JSCC (:class:`~.jscc.DeepJSCC`)."""

from __future__ import annotations

from ..config import AnalogPreset, Preset


def build_model(preset: Preset | AnalogPreset, **quantizer_options):
    """The untrained network of ``preset``: a :class:`~.jscc.DeepJSCC` for an analog preset, else a
    :class:`~.system.VQDeepSC` with ``quantizer_options``."""
    if isinstance(preset, AnalogPreset):
        from .jscc import DeepJSCC

        return DeepJSCC(preset)
    from .system import VQDeepSC

    return VQDeepSC(preset, **quantizer_options)
