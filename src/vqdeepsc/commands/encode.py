"""``vqdeepsc encode``: an image file to a ``.vqsc`` file of codebook indices (:mod:`vqdeepsc.container`)."""

HELP = "encode an image (any size and format Pillow reads) to a .vqsc file: its codebook-index bits behind a header"


def add_image_argument(parser):
    """The ``IMAGE`` argument, shared with ``send``."""
    parser.add_argument("image", metavar="IMAGE",
                        help="an image in any format Pillow reads, at most 4096 pixels a side; sizes that are not "
                             "multiples of 2^L are padded and cropped back; grayscale, palette and RGBA images are "
                             "coded as RGB (alpha dropped), so a grayscale image comes back as RGB")


def add_model_argument(parser):
    """``--model``, shared with ``send`` and ``decode``."""
    parser.add_argument("--model", default="small-4", metavar="M",
                        help="shipped model name or a .safetensors file written by training (default small-4); "
                             "it must be quantized (not an *-upper model); send also takes an analog djscc-* model")


def add_index_search_argument(parser):
    """``--index-search``, shared with ``send`` and ``eval``."""
    from ..cli import bounded
    from ..index_search import MAX_STEPS

    parser.add_argument("--index-search", type=bounded(0, MAX_STEPS), default=0, metavar="STEPS",
                        help="choose the indices by decoding them: STEPS Adam steps per image on the encoder's "
                             "features, keeping the indices whose decoded image is best (same bits; the transmitter "
                             "pays STEPS decoder passes per image; 20 was chosen on validation data, "
                             "results/training/README.md). Default 0: the nearest codewords, as in the paper")


def index_search(args):
    """The :class:`~vqdeepsc.index_search.IndexSearch` of ``--index-search`` (``ValueError`` if negative)."""
    from ..index_search import IndexSearch

    return IndexSearch(args.index_search)


def add_arguments(parser):
    from .decode import add_output_argument

    add_image_argument(parser)
    add_output_argument(parser, "FILE.vqsc", "the file to write, with the extension .vqsc")
    add_model_argument(parser)
    add_index_search_argument(parser)


def run(args):
    import os
    from pathlib import Path

    from ..container import Stream, write
    from ..imagefile import check_output, image_to_bits, load_image, load_quantized, padded_size

    search = index_search(args)
    if Path(args.output).suffix.lower() != ".vqsc":
        raise ValueError(f"cannot write a .vqsc file to {args.output}: give the output the extension .vqsc")
    check_output(args.output, args.overwrite, args.image)
    image = load_image(args.image)
    model, info = load_quantized(args.model)
    height, width = image.shape[2:]
    bits = image_to_bits(model, image, search)[0].byte().numpy()
    stream = Stream(model.preset.name, info["sha256"], height, width, bits)
    write(args.output, stream)
    padded_h, padded_w = padded_size(model, height, width)
    print(f"wrote {args.output}: {width}x{height} image (coded as {padded_w}x{padded_h}), model {args.model}, "
          f"{len(bits)} index bits, {os.path.getsize(args.output)} bytes"
          + (f"; indices by a {search.steps}-step index search" if search.steps else ""))
