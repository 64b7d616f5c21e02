"""Adaptive modulation and coding: the transmitter knows the average SNR (as an adaptive link does) and sends with
the highest-throughput MCS whose measured threshold on that channel is at or below it.

The thresholds are the SNRs at which each MCS (a modulation and code rate, whichever table lists it) reaches a
codeword error rate of 1e-2 with the codewords of a 4-scale image's payload (20032 bits), measured on this link by ``vqdeepsc mcs --measure`` and shipped in
``mcs_thresholds.json`` (``results/link/mcs/`` holds the measurement and its commands). Throughput is information
bits per symbol, ``Q_m R``: in table 1 it is not monotone in the index (MCS 16, 16-QAM, carries more than MCS 17,
64-QAM).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .mcs import MCS, mcs_table

SHIPPED = Path(__file__).with_name("mcs_thresholds.json")
"""The thresholds the package ships."""
TARGET = "1e-02"
"""The codeword error rate an adaptive link aims under."""
ORACLE_MARGIN_DB = 1.5
"""The oracle does not try an MCS whose threshold is more than this above the SNR: there its codeword error rate
is near 1 (the measured waterfalls fall from 1e-1 to 1e-2 within about 0.5 dB)."""


class LinkAdaptation:
    """Chooses the MCS of table ``table`` for a channel and an SNR.

    :param entries: measured thresholds (entries of :class:`~.thresholds.ThresholdTable`; default: the shipped ones).
    :param table: the TS 38.214 MCS table to choose from.
    :param payload_bits: the payload size whose thresholds are used.
    :param oracle: an evaluation tries the :meth:`candidates` and keeps, per method, the one with the best mean SSIM
        (``--mcs oracle``) instead of sending with :meth:`select` (``--mcs adaptive``).
    """

    def __init__(self, entries: list[dict] | None = None, table: int = 1, payload_bits: int = 20032,
                 oracle: bool = False):
        self.oracle = oracle
        if entries is None:
            entries = json.loads(SHIPPED.read_text())["entries"] if SHIPPED.is_file() else []
        self.table, self.schemes = table, mcs_table(table)
        self.thresholds: dict[str, dict[tuple, float | None]] = {}  # channel -> (Q_m, rate) -> SNR
        for e in entries:
            if e["payload_bits"] == payload_bits:
                self.thresholds.setdefault(e["channel"], {})[e["bits_per_symbol"], e["code_rate"]] = e[TARGET]

    def threshold(self, channel: str, mcs: MCS) -> float:
        """The SNR in dB at which ``mcs`` reaches BLER 1e-2 on channel spec ``channel`` (``inf`` if it never does);
        ``ValueError`` if it was not measured."""
        measured, key = self.thresholds.get(channel, {}), (mcs.bits_per_symbol, mcs.rate_text)
        if key not in measured:
            known = ", ".join(sorted(self.thresholds)) or "none"
            raise ValueError(f"no measured threshold of {mcs} on {channel} (measured channels: {known}); measure it "
                             f"with vqdeepsc mcs --table {self.table} --measure FILE --channels {channel}")
        value = measured[key]
        return float("inf") if value is None else value

    def select(self, channel: str, snr_db: float, fits: Callable[[MCS], bool] = lambda mcs: True) -> MCS:
        """The MCS for a payload on channel spec ``channel`` at Es/N0 ``snr_db``: of the schemes for which ``fits``
        holds, the one with the most information bits per symbol whose threshold is at or below ``snr_db``; if none
        is, the one with the lowest threshold (the most robust the payload allows). ``ValueError`` if ``fits``
        holds for none."""
        usable = [m for m in self.schemes if fits(m)]
        if not usable:
            raise ValueError(f"the payload fits no MCS of table {self.table} in this channel bandwidth")
        reliable = [m for m in usable if self.threshold(channel, m) <= snr_db]
        if reliable:
            return max(reliable, key=lambda m: (m.efficiency, -m.index))
        return min(usable, key=lambda m: (self.threshold(channel, m), m.index))

    def candidates(self, channel: str, snr_db: float, payload: Callable[[MCS], int | None]) -> list[MCS]:
        """What the oracle tries (the envelope over MCS that Deep-JSCC papers plot): the adaptive choice, the most
        efficient scheme below it, and every scheme whose threshold lies at most :data:`ORACLE_MARGIN_DB` above
        the SNR; of schemes besides the adaptive choice that carry the same payload (``payload(mcs)`` bits,
        ``None`` if none fits), only the most robust."""
        usable = [m for m in self.schemes if payload(m) is not None]
        chosen = self.select(channel, snr_db, lambda m: payload(m) is not None)
        lower = [m for m in usable if m.efficiency < chosen.efficiency and self.threshold(channel, m) <= snr_db]
        near = [m for m in usable if snr_db < self.threshold(channel, m) <= snr_db + ORACLE_MARGIN_DB]
        tried = {}
        for m in sorted({*near, *sorted(lower, key=lambda m: m.efficiency)[-1:]},
                        key=lambda m: (self.threshold(channel, m), m.index)):
            tried.setdefault(payload(m), m)
        return [chosen, *(m for m in tried.values() if m != chosen)]
