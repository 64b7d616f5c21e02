"""Modulation and coding schemes: the paper's (16-QAM, 5G LDPC rate 1/3) and 5G NR's MCS tables (TS 38.214).

The tables come from Sionna (``sionna.phy.nr.utils.decode_mcs_index``, PDSCH): table 1 (``--mcs-table 1``, QPSK to
64-QAM, indices 0-28) and table 2 (256-QAM, indices 0-27). A table's code rate is ``R x 1024`` in the standard,
kept exact here as a fraction. MCS 10 of table 1 is 16-QAM at 340/1024 = 0.332: the paper's scheme (exactly 1/3)
is :data:`PAPER`, the link's default, so that the paper's symbol counts (15030 per 4-scale image) hold; ``--mcs
10`` sends at the table's rate.

Sionna's 5G LDPC encoder takes rates from 1/5 up: the link sends the lower rates of the tables (MCS 0-2 of table
1, 0-1 of table 2) by repeating the rate-1/5 codeword, as the standard's circular buffer does once it wraps, and
the receiver adds up the repeated bits' logits (:class:`~.phy.DigitalLink`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from fractions import Fraction

MODULATIONS = {2: "QPSK", 4: "16-QAM", 6: "64-QAM", 8: "256-QAM"}
"""Bits per symbol -> the square QAM's name."""
TABLES = (1, 2)
"""TS 38.214 MCS tables (PDSCH) the link knows."""


@dataclass(frozen=True)
class MCS:
    """One modulation and coding scheme.

    :param bits_per_symbol: ``Q_m``, a key of :data:`MODULATIONS` (Gray-labelled square QAM).
    :param code_rate: the 5G LDPC code rate (exact), or ``None`` to send the bits uncoded.
    :param index: its TS 38.214 index, ``None`` for the paper's scheme.
    :param table: its TS 38.214 table, ``None`` for the paper's scheme.
    """

    bits_per_symbol: int
    code_rate: Fraction | None
    index: int | None = None
    table: int | None = None

    def __post_init__(self):
        if self.bits_per_symbol not in MODULATIONS:
            raise ValueError(f"no square QAM with {self.bits_per_symbol} bits per symbol; "
                             f"choose from {', '.join(map(str, MODULATIONS))}")
        if self.code_rate is not None and not 0 < self.code_rate < 1:
            raise ValueError(f"a code rate must be in (0, 1), got {self.code_rate}")

    @property
    def coded(self) -> bool:
        return self.code_rate is not None

    @property
    def modulation(self) -> str:
        return MODULATIONS[self.bits_per_symbol]

    @property
    def efficiency(self) -> float:
        """Information bits per channel symbol, ``Q_m R`` (``Q_m`` uncoded)."""
        return self.bits_per_symbol * float(self.code_rate if self.coded else 1)

    def without_code(self) -> MCS:
        """The same modulation, uncoded."""
        return replace(self, code_rate=None)

    @property
    def rate_text(self) -> str | None:
        """The code rate as the standard writes it, ``"340/1024"`` (``"1/3"`` for the paper's; ``None`` uncoded)."""
        if not self.coded:
            return None
        rate = self.code_rate
        return f"{rate * 1024}/1024" if 1024 % rate.denominator == 0 else f"{rate.numerator}/{rate.denominator}"

    def __str__(self) -> str:
        name = f"MCS {self.index} (table {self.table}): " if self.index is not None else ""
        return name + (f"5G LDPC {self.rate_text} + " if self.coded else "uncoded ") + self.modulation

    def describe(self) -> dict:
        """JSON-able: ``mcs``, ``mcs_table``, ``modulation``, ``bits_per_symbol``, ``code_rate`` (``"340/1024"`` or
        ``None``), ``efficiency``."""
        return {"mcs": self.index, "mcs_table": self.table, "modulation": self.modulation,
                "bits_per_symbol": self.bits_per_symbol, "code_rate": self.rate_text, "efficiency": self.efficiency}


PAPER = MCS(4, Fraction(1, 3))
"""The paper's scheme: 16-QAM, 5G LDPC rate exactly 1/3 (the link's default)."""


@functools.cache
def mcs_table(table: int = 1) -> tuple[MCS, ...]:
    """Every MCS of TS 38.214 table ``table`` (PDSCH), index 0 first, from Sionna."""
    if table not in TABLES:
        raise ValueError(f"unknown MCS table {table}; choose from {', '.join(map(str, TABLES))}")
    from sionna.phy.nr.utils import decode_mcs_index

    entries = []
    for index in range(32):
        try:
            order, rate = decode_mcs_index(index, table_index=table, is_pusch=False)
        except ValueError:  # the reserved indices at the end of the table
            break
        entries.append(MCS(int(order), Fraction(round(float(rate) * 1024), 1024), index, table))
    return tuple(entries)


def get_mcs(index: int, table: int = 1) -> MCS:
    """MCS ``index`` of TS 38.214 table ``table``; ``ValueError`` naming the valid indices otherwise."""
    entries = mcs_table(table)
    if not 0 <= index < len(entries):
        raise ValueError(f"unknown MCS index {index}: table {table} has indices 0-{len(entries) - 1}")
    return entries[index]


def parse_mcs(text: str | int | None, table: int = 1) -> MCS:
    """``--mcs`` and ``--mcs-table``: a TS 38.214 index of ``table``, or ``None`` for :data:`PAPER`; ``ValueError`` in
    one line otherwise."""
    if table not in TABLES:
        raise ValueError(f"unknown MCS table {table}; choose from {', '.join(map(str, TABLES))}")
    if text is None:
        return PAPER
    try:
        index = int(text)
    except ValueError:
        raise ValueError(f"--mcs must be a TS 38.214 MCS index, e.g. 10, got {text!r}") from None
    return get_mcs(index, table)
