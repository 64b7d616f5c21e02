"""``vqdeepsc mcs``: the 5G NR MCS tables, and the Es/N0 each scheme needs on each channel, measured on the link."""

from ..cli import bounded

HELP = "list the 5G NR MCS tables; measure the Es/N0 at which each reaches codeword error rates 1e-1 and 1e-2"
MAX_CODEWORDS = 10**7


def add_arguments(parser):
    parser.add_argument("--table", type=int, choices=(1, 2), default=1, help="TS 38.214 MCS table (default 1)")
    parser.add_argument("--measure", metavar="FILE", help="measure the thresholds into FILE (JSON; the schemes "
                        "already in it are kept, so a stopped measurement continues where it stopped)")
    parser.add_argument("--channels", default="awgn,rayleigh,rician:2",
                        help="channels to measure on (default awgn,rayleigh,rician:2)")
    parser.add_argument("--mcs", metavar="N[,N]", help="only these indices of the table (default: all, and the "
                        "paper's scheme)")
    parser.add_argument("--payload-bits", type=bounded(12, 2**25), default=20032, metavar="N",
                        help="bits per payload, which fixes the codeword size (default 20032, one 4-scale image)")
    parser.add_argument("--codewords", type=bounded(100, MAX_CODEWORDS), default=500, metavar="N",
                        help="most codewords per SNR point (default 500, at least 100 to resolve 1e-2)")
    parser.add_argument("--errors", type=bounded(1, MAX_CODEWORDS), default=50, metavar="N",
                        help="a point stops after this many codeword errors (default 50)")
    parser.add_argument("--step", type=bounded(0.01, 10.0, float), default=0.5, metavar="DB",
                        help="SNR step of the walk in dB (default 0.5)")
    parser.add_argument("--plot", metavar="FILE", help="draw the thresholds of --measure's file against capacity")
    parser.add_argument("--decoder-workers", type=bounded(1, 256), default=1, metavar="N",
                        help="processes the C++ decoder spreads codewords over (default 1)")


def run(args):
    from ..link.channel import parse_channels
    from ..link.mcs import mcs_table
    from ..link.thresholds import ThresholdTable, format_thresholds, schemes

    if not args.measure:
        if args.plot:
            raise ValueError("--plot draws a measured table: give its file with --measure")
        print("| MCS | modulation | code rate | information bits per symbol |\n|---:|---|---|---:|")
        for m in mcs_table(args.table):
            print(f"| {m.index} | {m.modulation} | {m.rate_text} | {m.efficiency:.4f} |")
        return
    channels = parse_channels(args.channels)
    wanted = schemes(args.table)
    if args.mcs:
        from ..link.mcs import parse_mcs

        wanted = [parse_mcs(i, args.table) for i in args.mcs.split(",")]
    table = ThresholdTable(args.measure)
    for channel in channels:
        for mcs in wanted:
            if table.find(channel.spec, mcs, args.payload_bits) is None:
                table.add(_measure(args, channel, mcs))
    print(format_thresholds(table.entries))
    if args.plot:
        from ..link.thresholds import plot_thresholds

        plot_thresholds(table.entries, args.plot)


def _measure(args, channel, mcs) -> dict:
    from ..link.phy import DigitalLink
    from ..link.thresholds import measure_threshold

    link = DigitalLink(channel, mcs=mcs, workers=args.decoder_workers)
    entry = measure_threshold(link, args.payload_bits, step=args.step, min_errors=args.errors,
                              max_codewords=args.codewords)
    print(f"{channel.spec}, {mcs}: BLER 1e-1 at {entry['1e-01']} dB, 1e-2 at {entry['1e-02']} dB "
          f"({len(entry['points'])} points, {entry['seconds']:.0f} s)", flush=True)
    return entry
