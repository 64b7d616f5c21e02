"""The digital link on Sionna: indices <-> bits, 5G LDPC rate 1/3, 16-QAM, AWGN / Rayleigh / Rician.

- :mod:`.bits`: indices of the semantic embedding spaces <-> a flat bit stream.
- :mod:`.channel`: SNR (Es/N0), eq. 3's flat-fading channel, eq. 4's zero-forcing equalizer.
- :mod:`.phy`: the codeword plan and :class:`~.phy.DigitalLink`.
- :mod:`.sweep`: BER / codeword-error-rate sweeps over SNR, their table and figure.

The names below are loaded on first use, so ``import vqdeepsc.link`` does not import Sionna.
"""

import importlib

_EXPORTS = {
    "indices_to_bits": "bits", "bits_to_indices": "bits", "index_bits": "bits",
    "CHANNELS": "channel", "FlatFadingChannel": "channel", "parse_snr_list": "channel",
    "snr_db_to_no": "channel", "zf_equalize": "channel",
    "CodewordPlan": "phy", "DigitalLink": "phy", "LinkStats": "phy", "plan_codewords": "phy",
    "ber_sweep": "sweep", "format_sweep": "sweep", "plot_sweep": "sweep",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
