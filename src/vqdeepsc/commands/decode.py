"""``vqdeepsc decode``: a ``.vqsc`` file (written by ``vqdeepsc encode``) back to an image."""

import sys

from .encode import add_model_argument

HELP = "rebuild the image of a .vqsc file; refuses a truncated, damaged or foreign file and a file of another model"


def add_output_argument(parser, metavar: str = "OUT.png",
                        help: str = "the reconstruction, in the format of its extension (.png is lossless), at the "
                                    "size of the image sent"):
    """``-o/--output`` and ``--overwrite``; shared with ``send`` and ``encode``."""
    parser.add_argument("-o", "--output", required=True, metavar=metavar,
                        help=help + "; an existing file is refused unless --overwrite, the input file always")
    parser.add_argument("--overwrite", action="store_true", help="replace the output file if it exists")


def add_arguments(parser):
    parser.add_argument("file", metavar="FILE.vqsc", help="a file written by 'vqdeepsc encode'")
    add_output_argument(parser)
    add_model_argument(parser)
    parser.add_argument("--ignore-crc", action="store_true",
                        help="decode a file whose CRC does not match: damaged payload bits give wrong (clamped) "
                             "indices, a degraded image; a truncated or foreign file is still refused")


def check_model(stream, model, info: dict, path: str) -> None:
    """``ValueError`` naming the model ``stream`` needs unless ``model`` (``info`` of ``resolve_model``) wrote it, or
    is a shipped model that sends the bits of the file that wrote it (``same_bits_as`` in ``models.json``: a later
    version with a fine-tuned decoder tail, which decodes the same bits better)."""
    from ..zoo import shipped

    def sends(record: dict) -> set[str]:
        return {record["sha256"], *record.get("same_bits_as", ())}

    accepted = next((sends(r) for r in shipped().values() if r["sha256"] == info["sha256"]), {info["sha256"]})
    if stream.model == model.preset.name and stream.sha256 in accepted:
        return
    name = next((n for n, r in shipped().items() if r["preset"] == stream.model and stream.sha256 in sends(r)), None)
    needed = f"--model {name}" if name else f"the {stream.model} model file of that sha256"
    raise ValueError(f"{path} was written by model {stream.model} (weights sha256 {stream.sha256[:16]}...), not by "
                     f"{info['model']} ({model.preset.name}, sha256 {info['sha256'][:16]}...): decode it with {needed}")


def run(args):
    import torch

    from ..container import read
    from ..imagefile import bits_to_image, check_payload, load_quantized, output_format, save_image

    output_format(args.output, args.overwrite, args.file)
    stream = read(args.file, args.ignore_crc)
    model, info = load_quantized(args.model)
    check_model(stream, model, info, args.file)
    try:
        check_payload(model, stream.height, stream.width, len(stream.bits))
    except ValueError as e:
        raise ValueError(f"{args.file}: {e}") from None
    if not stream.crc_ok:
        print(f"vqdeepsc decode: warning: {args.file} fails its CRC; decoding it anyway (--ignore-crc)",
              file=sys.stderr)
    image = bits_to_image(model, torch.from_numpy(stream.bits).unsqueeze(0), stream.height, stream.width)
    save_image(image, args.output)
    print(f"wrote {args.output}: {stream.width}x{stream.height} image from {args.file}, model {args.model}")
