"""The digital link on Sionna: indices <-> bits, 5G LDPC, QAM (the paper's 1/3 + 16-QAM or 5G NR's MCS tables),
AWGN / Rayleigh / Rician.

- :mod:`.bits`: indices of the semantic embedding spaces <-> a flat bit stream.
- :mod:`.channel`: SNR (Es/N0), eq. 3's flat-fading channels (one class each, with its capacity), eq. 4's
  zero-forcing equalizer.
- :mod:`.mcs`: modulation and coding schemes; :mod:`.thresholds`: the SNR each needs, measured;
  :mod:`.adaptation`: the adaptive choice.
- :mod:`.phy`: the codeword plan, the symbol budget and :class:`~.phy.DigitalLink`.
- :mod:`.sweep`: BER / codeword-error-rate sweeps over SNR, their table and figure.

The names below are loaded on first use, so ``import vqdeepsc.link`` does not import Sionna.
"""

import importlib

_EXPORTS = {
    "indices_to_bits": "bits", "bits_to_indices": "bits", "index_bits": "bits",
    "CHANNELS": "channel", "FlatFadingChannel": "channel", "AWGN": "channel", "Rayleigh": "channel",
    "Rician": "channel", "parse_channel": "channel", "parse_snr_list": "channel",
    "snr_db_to_no": "channel", "zf_equalize": "channel",
    "MCS": "mcs", "PAPER": "mcs", "get_mcs": "mcs", "mcs_table": "mcs", "LinkAdaptation": "adaptation",
    "CodewordPlan": "phy", "DigitalLink": "phy", "LinkStats": "phy", "plan_codewords": "phy",
    "payload_capacity": "phy",
    "ber_sweep": "sweep", "format_sweep": "sweep", "plot_sweep": "sweep",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
