"""``vqdeepsc send``: one image file through VQ-DeepSC over the simulated 5G LDPC + QAM link."""

from .decode import add_output_argument
from .encode import add_image_argument, add_index_search_argument, add_model_argument, index_search
from .link import add_decoder_arguments, add_dequantize_argument, add_symbols_arguments, link_options

HELP = "send an image (any size and format Pillow reads) through VQ-DeepSC over the digital link; write what arrives"


def add_arguments(parser):
    add_image_argument(parser)
    parser.add_argument("--channel", required=True, help="awgn, rayleigh or rician:R (R the Rician factor)")
    parser.add_argument("--snr", type=float, required=True, metavar="S", help="Es/N0 in dB")
    add_model_argument(parser)
    add_index_search_argument(parser)
    parser.add_argument("--robust", metavar="NAME_OR_PATH", help="model with a decoder trained for errors, for "
                        "--dequantize robust-* (default: <model>-robust, shipped)")
    parser.add_argument("--rician-factor", type=float, default=None, metavar="R",
                        help="Rician factor r >= 0 (rician channel only)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the channel realisation (default 0)")
    add_decoder_arguments(parser)
    add_symbols_arguments(parser)
    add_dequantize_argument(parser)
    add_output_argument(parser)


def run(args):
    from ..config import AnalogPreset
    from ..imagefile import load_image, load_quantized, output_format, padded_size, save_image, send_image
    from ..zoo import resolve_model
    from ..link.bits import index_bits
    from ..link.mcs import MCS
    from ..link.phy import payload_capacity
    from ..link.channel import parse_channel
    from ..link.phy import DigitalLink
    from ..metrics import image_scores
    from ..receivers import check_same_transmitter, get_receiver

    search = index_search(args)
    channel = parse_channel(args.channel, args.rician_factor)
    output_format(args.output, args.overwrite, args.image)
    image = load_image(args.image)
    height, width = image.shape[2:]
    options = link_options(args, height, width)
    model, _ = resolve_model(args.model)
    if isinstance(model.preset, AnalogPreset):
        return send_analog(args, model, channel, image, options)
    model, _ = load_quantized(args.model)
    robust = None
    if args.dequantize.startswith("robust-"):
        robust, _ = load_quantized(args.robust or f"{args.model}-robust")
        check_same_transmitter(model, robust)
    receiver = get_receiver(args.dequantize, robust)
    if not isinstance(options["mcs"], MCS):  # adaptive: the MCS this SNR allows the model's payload
        if options["mcs"].oracle:
            raise ValueError("--mcs oracle compares MCS over many images: use it with eval or demo")
        if not options.get("symbols"):
            raise ValueError("an adaptive MCS needs a channel bandwidth: --symbols S or --cbr X")
        padded, adaptation = padded_size(model, height, width), options["mcs"]
        bits = index_bits(model.preset.bits_per_index, model.code_shapes(*padded))
        options["mcs"] = adaptation.select(channel.spec, args.snr, lambda m: bits <= payload_capacity(
            options["symbols"], m, options["max_k"]))
        needs = adaptation.threshold(channel.spec, options["mcs"])
        if needs > args.snr:
            print(f"note: {bits} bits in {options['symbols']} symbols need at least {options['mcs']}, whose codeword "
                  f"error rate reaches 1e-2 at {needs:.2f} dB on {channel.spec}: expect errors (a model with fewer "
                  f"bits, e.g. small-3, fits a more robust MCS)")
    link = DigitalLink(channel, **options)
    got = send_image(model, image, link, args.snr, args.seed, receiver, search)
    save_image(got.image, args.output)
    stats = got.stats
    scores = image_scores(got.image, image)
    print(f"sent {args.image} ({width}x{height}, coded as {got.padded[1]}x{got.padded[0]}) with model {args.model} "
          f"over {channel.spec} at Es/N0 {args.snr:g} dB, {link.mcs}, {receiver.label}"
          + (f"; indices by a {search.steps}-step index search" if search.steps else ""))
    print(f"bits sent:           {stats.num_bits} ({stats.num_bits / (height * width):.3f} bits/pixel)")
    print(f"channel symbols:     {stats.channel_symbols} (CBR {stats.channel_symbols / (3 * height * width):.4f})")
    print(f"BER:                 {stats.ber:.3e} ({stats.bit_errors} bit errors)")
    print(f"codeword error rate: {stats.bler:.3f} ({stats.codeword_errors} of {stats.num_codewords} codewords)")
    print_scores(scores, args.output)


def print_scores(scores: dict, output) -> None:
    from ..metrics import METRICS

    for m in METRICS:
        value = m.format(scores[m.key][0]) if m.key in scores else f"n/a (needs {m.min_side}x{m.min_side} pixels or more)"
        print(f"{(m.label + ':').ljust(20)} {value}")
    print(f"wrote {output}")


def send_analog(args, model, channel, image, options) -> None:
    """``send`` with an analog Deep-JSCC model: no bits, no MCS; its bandwidth is the model's."""
    from ..imagefile import padded_size, save_image, transmit_image
    from ..metrics import image_scores

    height, width = image.shape[2:]
    symbols = model.preset.symbols_for(*padded_size(model, height, width))
    if args.mcs is not None or args.dequantize != "soft" or args.index_search:
        raise ValueError(f"{args.model} is an analog Deep-JSCC model: it sends no bits, so --mcs, --dequantize and "
                         "--index-search do not apply")
    if options.get("symbols") not in (None, symbols):
        raise ValueError(f"{args.model} sends {symbols} symbols for this image, not the {options['symbols']} asked for: "
                         "an analog model's bandwidth is its own (choose the djscc-* model of that bandwidth)")
    got = transmit_image(model, image, channel, args.snr, args.seed)
    save_image(got, args.output)
    print(f"sent {args.image} ({width}x{height}) with analog model {args.model} ({model.preset.name}) over "
          f"{channel.spec} at Es/N0 {args.snr:g} dB, MMSE equalization with perfect CSI")
    print(f"channel symbols:     {symbols} (CBR {symbols / (3 * height * width):.4f}), no bits, no channel code")
    print_scores(image_scores(got, image), args.output)
