"""VQ-DeepSC against its upper bound and classic codecs over channel x SNR (the paper's Fig. 3): the sweep.

Each method encodes every image once: VQ-DeepSC its indices (and their noiseless reconstruction), the upper
bound its reconstruction, a classic codec its file under VQ-DeepSC's bit budget
(:func:`~vqdeepsc.baselines.fit_to_budget`). At every channel and SNR only the link runs, ``batch`` images per
call, each with its own generator seeded by (seed, channel, SNR, image index in the split), and the network sees
one image at a time: an image's result does not depend on the other images, on ``limit``, on ``batch`` or on the
shard it is in, and payloads of one length (VQ-DeepSC's bits, a classic file padded to the budget) meet the same channel realisation. The semantic
decoder runs only on the images whose indices changed; an error-free frame reuses the noiseless reconstruction.
The upper bound is noiseless (no link): its row is the same at every channel and SNR.

Each finished point is a per-image record (:mod:`vqdeepsc.results`), from which the result rows are made.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch
from torch import Tensor

from .budget import bit_budget
from .index_search import NEAREST_CODEWORDS, IndexSearch
from .link.adaptation import LinkAdaptation
from .link.channel import FlatFadingChannel, Rician, parse_channel
from .link.mcs import MCS, PAPER
from .link.phy import MAX_K, DigitalLink, payload_capacity, plan_codewords
from .metrics import image_scores
from .models.system import VQDeepSC
from .receivers import DEFAULT_RECEIVER, check_same_transmitter
from .results import library_versions, rows
from .senders import make_senders

def link_seed(seed: int, channel: str, snr_db: float, image: int) -> int:
    """The seed of image ``image``'s link realisation at (``channel``, ``snr_db``), the same for every method."""
    return int.from_bytes(hashlib.sha256(f"{seed}/{channel}/{snr_db:g}/{image}".encode()).digest()[:8], "little") >> 1


class Evaluation:
    """The senders of one evaluation, ready to sweep.

    :param model: a quantized VQ-DeepSC (its preset fixes the classic codecs' bit budget).
    :param methods: from :data:`~vqdeepsc.senders.METHODS`; ``"upper"`` needs ``upper``, an upper-bound model.
    :param channels: :class:`~.link.channel.FlatFadingChannel` objects or specs (``"rician"`` takes
        ``rician_factor``), of different names.
    :param batch: images per link call (the network sees one image at a time).
    :param link_options: keywords of :class:`~.link.phy.DigitalLink` (``decoder``, ``max_k``, ``backend``,
        ``workers``, ``mcs``, ``symbols``; its defaults otherwise). With ``symbols``, VQ-DeepSC's payload must fit
        them and a classic codec's file gets every bit they carry with the MCS.
    :param robust: the model whose decoder the ``vq-robust-*`` methods use (fine-tuned from ``model`` for errors).
    :param dequantize: the receiver of method ``vq`` (a name in :data:`~vqdeepsc.receivers.RECEIVERS`, or
        ``robust-<name>``).
    :param grid: keep the first ``grid`` reconstructions at every SNR of channel awgn (else the first channel).
    :param image_ids: each image's index in the evaluated split (default ``0 .. N-1``), which seeds its channel.
    :param index_search: how VQ-DeepSC's transmitter chooses its indices (default: the nearest codewords, eq. 2).
    :param analog: the :class:`~vqdeepsc.models.jscc.DeepJSCC` of method ``djscc``; its bandwidth must be the
        evaluation's channel symbols per image (``symbols``, or VQ-DeepSC's payload on the link).
    :input images: [N, 3, H, W] in [0, 1] (CPU).
    :attr senders: method -> :class:`~vqdeepsc.senders.Sender`.
    :attr settings: these arguments, the link and the library versions (for the results' ``config``).
    :attr noiseless: method -> per-image record without the link (scores and payload description).
    """

    def __init__(self, model: VQDeepSC, images: Tensor, *, methods: list[str], channels: list[FlatFadingChannel | str],
                 snr_db: list[float], upper: VQDeepSC | None = None, robust: VQDeepSC | None = None,
                 rician_factor: float = 2.0, seed: int = 0, batch: int = 16, grid: int = 0,
                 link_options: dict | None = None, dequantize: str = DEFAULT_RECEIVER,
                 image_ids: list[int] | None = None, index_search: IndexSearch = NEAREST_CODEWORDS,
                 family: list[tuple[VQDeepSC, VQDeepSC]] | None = None, analog=None):
        if not model.preset.quantized:
            raise ValueError(f"{model.preset.name!r} is an upper-bound model; evaluate the quantized model instead")
        if "upper" in methods and (upper is None or upper.preset.quantized):
            raise ValueError("method 'upper' needs an upper-bound model (an '*-upper' preset)")
        if not channels or not snr_db:
            raise ValueError("nothing to evaluate: no channel or no SNR")
        if robust is not None:
            check_same_transmitter(model, robust)
        fading = [parse_channel(c, rician_factor if c == "rician" else None) for c in channels]
        self.channels = [c.name for c in fading]
        if len(set(self.channels)) < len(self.channels):
            raise ValueError(f"two channels of one name in {[c.spec for c in fading]}: evaluate them separately")
        self.images, self.methods, self.snr_db = images, methods, list(snr_db)
        self.image_ids = list(range(len(images))) if image_ids is None else list(image_ids)
        self.grid, self.seed = grid, seed
        self.device = next(model.parameters()).device
        options = dict(link_options or {})
        mcs = options.pop("mcs", PAPER)
        self.adaptation = mcs if isinstance(mcs, LinkAdaptation) else None
        if self.adaptation and not options.get("symbols"):
            raise ValueError("an adaptive MCS needs a channel bandwidth: --symbols S or --cbr X")
        if family is not None and not self.adaptation:
            raise ValueError("a family of models adapts to the link: it needs an adaptive MCS")
        self.fading = {c.name: c for c in fading}
        self.link_options, self.links = {"device": str(self.device), **options}, {}
        self.mcs = self.adaptation.schemes[0] if self.adaptation else mcs
        link = self.link(self.channels[0], self.mcs)
        self.budget = bit_budget(model.preset, images.shape[2], images.shape[3])["index_bits"]
        if any(m.startswith("vq") for m in methods) and not self.adaptation:
            link.plan(self.budget)  # refuses a payload over the symbol budget before any work
        self.symbols = channel_symbols(model, images.shape[2], images.shape[3], link_options or {})
        if "djscc" in methods:
            check_bandwidth(analog, self.symbols, images.shape[2], images.shape[3])
        classic_bits = payload_capacity(link.symbols, link.mcs, link.max_k) if link.symbols else self.budget
        self.senders = make_senders(methods, model, images.to(self.device), budget_bits=self.budget, batch=batch,
                                    upper=upper, robust=robust, dequantize=dequantize, index_search=index_search,
                                    classic_bits=classic_bits, family=family, analog=analog)
        self.noiseless = {m: {**image_scores(s.noiseless, images), **s.info} for m, s in self.senders.items()}
        rician = [c.r for c in fading if isinstance(c, Rician)]
        if self.adaptation:
            kind = "oracle (best of the MCS near the SNR, by SSIM)" if self.adaptation.oracle else "adaptive"
            scheme = f"{kind} 5G NR MCS (table {self.adaptation.table})"
            described = f"{scheme}: 5G LDPC (at most {link.num_iter} BP iterations) + QAM, ZF"
        else:
            coding = f"5G LDPC {mcs.rate_text} (at most {link.num_iter} BP iterations) + " if mcs.coded else "uncoded "
            scheme = str(mcs)
            described = (f"MCS {mcs.index} (table {mcs.table}): " if mcs.index is not None else "") \
                + f"{coding}{mcs.modulation}, ZF"
        self.settings = {
            "preset": model.preset.name, "images": len(images), "methods": methods, "channels": self.channels,
            "snr_db": self.snr_db, "rician_factor": rician[0] if rician else rician_factor, "fading": "per symbol",
            "link": described, "decoder": link.decoder,
            "decoder_backend": link.backend, "decoder_workers": link.workers, "dequantize": dequantize,
            "max_k": link.max_k, "seed": seed, "batch": batch, "versions": library_versions(),
            "index_search": {"steps": index_search.steps, "lr": index_search.lr} if index_search.steps else None,
            "scheme": scheme, "mcs": ("oracle" if self.adaptation.oracle else "adaptive") if self.adaptation else mcs.index,
            "mcs_table": self.adaptation.table if self.adaptation else mcs.table, "symbols": link.symbols,
            "classic_bits": classic_bits if link.symbols and not self.adaptation else None,
            "family": self.senders["vq"].budgets if family is not None and "vq" in methods else None,
            "analog_preset": analog.preset.to_dict() if "djscc" in methods else None,
            "analog_equalizer": "MMSE, perfect CSI" if "djscc" in methods else None}
        self.grid_channel = "awgn" if "awgn" in self.channels else self.channels[0]

    def link(self, channel: str, mcs: MCS) -> DigitalLink:
        """The link of ``channel`` (a name) with ``mcs`` (built once)."""
        if (channel, mcs) not in self.links:
            self.links[channel, mcs] = DigitalLink(self.fading[channel], mcs=mcs, **self.link_options)
        return self.links[channel, mcs]

    def schemes(self, sender, channel: str, snr: float) -> list[MCS]:
        """The MCS ``sender`` transmits with on ``channel`` at ``snr``: the fixed one, the adaptive choice among those
        its payload fits, or the oracle's candidates (the point keeps the one with the best mean SSIM)."""
        if not self.adaptation or not sender.uses_mcs:
            return [self.mcs]
        link, spec = self.link(channel, self.mcs), self.fading[channel].spec
        if self.adaptation.oracle:
            return self.adaptation.candidates(spec, snr, lambda mcs: sender.payload(link.symbols, mcs, link.max_k))
        return [self.adaptation.select(spec, snr, lambda mcs: sender.fits(link.symbols, mcs, link.max_k))]

    def header(self, config: dict) -> dict:
        """The header of the point log: ``config``, settings, the images' indices and names (``config["files"]``),
        noiseless records."""
        return {"config": config, "settings": self.settings, "image_ids": self.image_ids,
                "files": config.get("files", []), "noiseless": self.noiseless}

    @torch.no_grad()
    def point(self, channel: str, snr: float) -> dict:
        """One (channel, SNR) point: ``channel``, ``snr_db``, ``records`` (method -> per-image record; empty for a
        method without the link) and, with ``grid``, ``grid`` (method -> [G, 3, H, W] uint8)."""
        seeds = [link_seed(self.seed, channel, snr, i) for i in self.image_ids]
        records, kept = {}, {}
        for method, sender in self.senders.items():
            records[method] = {}
            if not sender.uses_link:
                continue
            tried = []
            for mcs in self.schemes(sender, channel, snr):
                link = self.link(channel, mcs)
                x_hat, record = sender.send(link, snr, seeds)
                record = {**image_scores(x_hat, self.images), **record}
                if self.adaptation and sender.uses_mcs:
                    record["mcs"] = [mcs.index] * len(seeds)
                tried.append((sum(record["ssim"]) / len(seeds), -len(tried), x_hat, record))
            _, _, x_hat, records[method] = max(tried, key=lambda t: t[:2])
            if self.grid and channel == self.grid_channel:
                kept[method] = _uint8(x_hat[:self.grid])
        return {"channel": channel, "snr_db": snr, "records": records, **({"grid": kept} if kept else {})}

    def run(self, done: dict | None = None, on_point=None, on_row=None, progress=None) -> dict:
        """Every point, in channel-then-SNR order.

        :param done: ``(channel, snr_db)`` -> a point already finished (as :meth:`point` made it), not run again.
        :param on_point: called with every point it runs, once it is finished.
        :param on_row: called with every result row, in order.
        :param progress: a ``tqdm`` bar, advanced by the images of every point.
        :output: dict with ``results`` (rows keyed by :data:`~vqdeepsc.results.FIELDS`), ``settings``,
            ``noiseless`` (method -> scores and file statistics without the link), ``budget_bits``, ``points``, and
            ``grid`` (name -> uint8 array; ``original`` and noiseless methods [G, 3, H, W], the others
            [S, G, 3, H, W]) with ``grid_meta`` (preset, channel, SNRs).
        """
        done, points = done or {}, []
        header = self.header({})
        for channel in self.channels:
            for snr in self.snr_db:
                point = done.get((channel, snr))
                if point is None:
                    point = self.point(channel, snr)
                    if on_point:
                        on_point(point)
                if progress is not None:
                    progress.update(len(self.images))
                points.append(point)
                for row in rows(header, [point])[0] if on_row else ():
                    on_row(row)
        results, noiseless = rows(header, points)
        out = {"results": results, "settings": self.settings, "noiseless": noiseless, "budget_bits": self.budget,
               "points": points}
        if self.grid:
            kept = [p["grid"] for p in points if p["channel"] == self.grid_channel]
            out["grid"] = {"original": _uint8(self.images[:self.grid]),
                           **{m: np.stack([k[m] for k in kept]) for m in kept[0]},
                           **{m: _uint8(s.noiseless[:self.grid]) for m, s in self.senders.items() if not s.uses_link}}
            out["grid_meta"] = {"preset": self.settings["preset"], "channel": self.grid_channel,
                                "snr_db": self.snr_db}
        return out


def channel_symbols(model: VQDeepSC, height: int, width: int, link_options: dict) -> int:
    """Channel symbols per ``height x width`` image of an evaluation of ``model`` with ``link_options``: its
    ``symbols``, or VQ-DeepSC's payload with the link's (fixed) MCS. The bandwidth the analog method gets."""
    mcs = link_options.get("mcs", PAPER)
    if link_options.get("symbols"):
        return link_options["symbols"]
    bits = bit_budget(model.preset, height, width)["index_bits"]
    return plan_codewords(bits, mcs if isinstance(mcs, MCS) else PAPER, link_options.get("max_k", MAX_K)).channel_symbols


def check_bandwidth(analog, symbols: int, height: int, width: int) -> None:
    """``ValueError`` unless ``analog`` is an analog model whose ``height x width`` images take ``symbols``."""
    if analog is None or not hasattr(analog.preset, "symbols_for"):
        raise ValueError("method djscc needs an analog Deep-JSCC model (a djscc-* preset)")
    own = analog.preset.symbols_for(height, width)
    if own != symbols:
        raise ValueError(f"the analog model {analog.preset.name} sends {own} symbols per {height}x{width} image, "
                         f"the evaluation's bandwidth is {symbols}: choose the model of that bandwidth")


def evaluate(model: VQDeepSC, images: Tensor, *, on_row=None, **options) -> dict:
    """Mean SSIM, PSNR and the other metrics (95 % CI), BER, codeword error rate and classic-codec failures per method x channel x SNR:
    :class:`Evaluation` ``(model, images, **options).run(on_row=on_row)``."""
    return Evaluation(model, images, **options).run(on_row=on_row)


def _uint8(x: Tensor) -> np.ndarray:
    return (x.cpu().clamp(0, 1) * 255).round().byte().numpy()
