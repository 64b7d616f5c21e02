"""``vqdeepsc link``: BER and codeword error rate of the digital link against SNR."""

import json

from ..cli import bounded

MAX_BITS = 10**9
"""Most bits per SNR of ``link --bits`` (about an hour per SNR for the C++ decoder on two cores)."""
MAX_PAYLOAD_BITS = 2**25
"""Longest payload of ``link --payload-bits``: more than the index bits of a 4096 x 4096 image."""
MAX_WORKERS = 256
MAX_ITERATIONS = 1000
ADAPTIVE, ORACLE = "adaptive", "oracle"
MAX_SYMBOLS = 2**26
"""Most channel symbols per image of ``--symbols``."""


def add_decoder_arguments(parser):
    """``--decoder``, ``--max-k``, ``--decoder-backend`` and ``--decoder-workers``, shared by every command that uses
    the link (:func:`link_options` reads them)."""
    parser.add_argument("--decoder", choices=("early", "fixed"), default="early",
                        help="LDPC decoding: stop each codeword once its parity checks hold (early, default) or "
                             "always run every iteration (fixed; sionna backend only)")
    parser.add_argument("--max-k", type=int, default=8448, metavar="K",
                        help="longest codeword in information bits: 8448 (default; base graph 1 above k = 3824) "
                             "or 3824 (base graph 2 only)")
    parser.add_argument("--decoder-backend", choices=("sionna", "cpp"), default=None,
                        help="who runs belief propagation: cpp (the ldpc package's C++ decoder; default on the CPU) or "
                             "sionna (default on a GPU and with --decoder fixed); both give the same bits")
    parser.add_argument("--decoder-workers", type=bounded(1, MAX_WORKERS), default=None, metavar="N",
                        help="processes the cpp decoder spreads codewords over (default: one per CPU core)")
    add_mcs_arguments(parser)


def add_mcs_arguments(parser):
    """``--mcs`` and ``--mcs-table``: the modulation and code rate of every command that uses the link."""
    parser.add_argument("--mcs", metavar="N", default=None,
                        help="5G NR modulation and coding scheme, an index of TS 38.214's --mcs-table (e.g. 10: 16-QAM, "
                             "LDPC 340/1024), or adaptive (eval, send, demo, with --symbols or --cbr: at each SNR the "
                             "MCS with the most bits per symbol whose measured BLER-1e-2 threshold is at or below it), "
                             "or oracle (eval, demo: the best of the MCS near each SNR, by mean SSIM, per method); "
                             "default: the paper's 16-QAM with LDPC rate exactly 1/3")
    parser.add_argument("--mcs-table", type=int, choices=(1, 2), default=1,
                        help="TS 38.214 MCS table: 1 (QPSK to 64-QAM, default) or 2 (up to 256-QAM)")


def add_symbols_arguments(parser):
    """``--symbols`` and ``--cbr``: the channel symbols each image may take (one of them)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--symbols", type=bounded(1, MAX_SYMBOLS), metavar="S",
                       help="channel symbols per image (default: as many as the payload needs); a payload that "
                            "does not fit is refused, a shorter one is padded")
    group.add_argument("--cbr", type=bounded(1e-6, 1.0, float), metavar="X",
                       help="channel bandwidth ratio: S = round(X H W 3) symbols per H x W image (e.g. 0.306, the "
                            "paper's 15030 symbols for 128 x 128)")


def channel_symbols(args, height: int, width: int) -> int | None:
    """The symbol budget ``--symbols`` or ``--cbr`` asks for an ``height x width`` image (``None``: unlimited)."""
    if getattr(args, "cbr", None) is not None:
        return max(1, round(args.cbr * height * width * 3))
    return getattr(args, "symbols", None)


def link_options(args, height: int | None = None, width: int | None = None) -> dict:
    """The :class:`~vqdeepsc.link.phy.DigitalLink` keywords the link arguments ask for (the symbol budget of an
    ``height x width`` image, for the commands that have ``--symbols`` / ``--cbr``)."""
    import os

    from ..link.mcs import parse_mcs
    from ..link.phy import default_backend

    backend = args.decoder_backend or default_backend(getattr(args, "device", "cpu"), args.decoder)
    workers = args.decoder_workers or (os.cpu_count() or 1 if backend == "cpp" else 1)
    if args.mcs in (ADAPTIVE, ORACLE):
        from ..link.adaptation import LinkAdaptation

        if height is None:
            raise ValueError(f"--mcs {args.mcs} chooses an MCS per SNR for images: use it with eval, send or demo")
        mcs = LinkAdaptation(table=args.mcs_table, oracle=args.mcs == ORACLE)
    else:
        mcs = parse_mcs(args.mcs, args.mcs_table)
    options = {"decoder": args.decoder, "max_k": args.max_k, "backend": backend, "workers": workers, "mcs": mcs}
    if height is not None:
        options["symbols"] = channel_symbols(args, height, width)
    return options


def add_dequantize_argument(parser):
    """``--dequantize``: the receiver of VQ-DeepSC (``vqdeepsc.receivers``), for the commands that send images."""
    parser.add_argument("--dequantize", default="soft", metavar="RECEIVER",  # receivers.DEFAULT_RECEIVER
                        help="how received bits become features: soft (default; the expected codeword under the LDPC "
                             "decoder's posteriors), hard (the codeword of each decided index) or soft-erasures (soft, "
                             "with the bits of failed codewords erased); robust-<one of them> also decodes frames "
                             "with a failed codeword by a decoder trained for errors (--robust)")


HELP = "BER and codeword error rate of the 5G LDPC + QAM link against Es/N0"


def add_arguments(parser):
    parser.add_argument("--channel", required=True, help="awgn, rayleigh or rician:R (R the Rician factor)")
    parser.add_argument("--rician-factor", type=float, default=None, metavar="R",
                        help="Rician factor r >= 0 (rician channel only)")
    parser.add_argument("--block", action="store_true", help="one fading coefficient per codeword (default: per symbol)")
    parser.add_argument("--snr", default="0:12:1", help="Es/N0 in dB: start:stop:step (inclusive) or a,b,c (default 0:12:1)")
    parser.add_argument("--uncoded", action="store_true", help="send the bits without LDPC (the --mcs's modulation)")
    parser.add_argument("--bits", type=bounded(1, MAX_BITS), default=100_000, metavar="N",
                        help=f"bits per SNR (default 100000, at most {MAX_BITS:.0e})")
    parser.add_argument("--payload-bits", type=bounded(1, MAX_PAYLOAD_BITS), default=20032, metavar="N",
                        help="bits per payload (default 20032, one 4-scale image: three codewords of k = 6680)")
    parser.add_argument("--iterations", type=bounded(1, MAX_ITERATIONS), default=20,
                        help=f"most belief-propagation iterations (default 20, at most {MAX_ITERATIONS})")
    add_decoder_arguments(parser)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda:0, ... (default cpu)")
    parser.add_argument("--json", metavar="FILE", help="write the sweep as JSON")
    parser.add_argument("--plot", metavar="FILE", help="write the figure (log-scale BER against Es/N0)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args):
    from tqdm import tqdm

    from ..link.channel import parse_channel, parse_snr_list
    from ..link.sweep import ber_sweep, format_sweep, plot_sweep

    channel = parse_channel(args.channel, args.rician_factor, args.block)
    snrs = parse_snr_list(args.snr)
    options = link_options(args)
    with tqdm(unit="bit", unit_scale=True, disable=args.no_progress, dynamic_ncols=True) as bar:
        result = ber_sweep(snrs, channel, coded=not args.uncoded, num_iter=args.iterations, num_bits=args.bits,
                           payload_bits=args.payload_bits, seed=args.seed, device=args.device, progress=bar,
                           **options)
    print(format_sweep(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    if args.plot:
        plot_sweep(result, args.plot)
