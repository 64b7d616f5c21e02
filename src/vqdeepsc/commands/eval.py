"""``vqdeepsc eval``: SSIM / PSNR against Es/N0 of VQ-DeepSC, its upper bound and classic codecs (paper's Fig. 3)."""

from .link import add_decoder_arguments, add_dequantize_argument

HELP = "SSIM/PSNR vs Es/N0 of VQ-DeepSC, its upper bound and JPEG (+ other codecs) over LDPC 1/3 + 16-QAM"


def add_arguments(parser):
    a = parser.add_argument
    a("--model", required=True, help="shipped model name or a .safetensors file written by training")
    a("--upper", metavar="NAME_OR_PATH", help="upper-bound model for method 'upper' (default: <model>-upper, shipped)")
    a("--robust", metavar="NAME_OR_PATH", help="model with a decoder trained for errors (vqdeepsc train "
      "--channel-errors) for the vq-robust-* methods (default: <model>-robust, shipped)")
    a("--data", required=True, help="data folder (train/val/test, Stanford Cars layout, or any folder of images)")
    a("--split", default="test", help="split to evaluate (default test)")
    a("--channels", default="awgn,rayleigh,rician", help="comma-separated channels (default awgn,rayleigh,rician)")
    a("--snr", default="0:20:2", help="Es/N0 in dB: start:stop:step (inclusive) or a,b,c (default 0:20:2)")
    a("--methods", default="vq,upper,jpeg",
      help="comma-separated: vq (VQ-DeepSC with the --dequantize receiver), vq-hard, vq-soft, vq-soft-erasures "
           "(each receiver, side by side on the same channel draws), vq-robust-hard, vq-robust-soft, "
           "vq-robust-soft-erasures (with the --robust decoder), upper, jpeg, webp, jpeg2000, avif, heif "
           "(default vq,upper,jpeg)")
    a("--out", required=True, help="output folder: results.csv, results.json, table1.md (and grid.npz)")
    a("--limit", type=int, metavar="N", help="only N images of the split (a fixed random sample)")
    a("--seed", type=int, default=0, help="random seed of the channel realisations (default 0)")
    a("--rician-factor", type=float, default=2.0, metavar="R", help="Rician factor r (default 2.0)")
    a("--batch", type=int, default=16, help="images per encoder/decoder call (default 16)")
    a("--crop", type=int, default=128, help="centre-crop size (default 128, the paper's)")
    a("--grid", type=int, default=0, metavar="N",
      help="keep the first N images' reconstructions at every SNR (channel awgn) for 'vqdeepsc plot'")
    a("--device", default="cpu", help="cpu, cuda, ... (default cpu)")
    a("--overwrite", action="store_true", help="replace the results already in --out (default: refuse a non-empty "
      "folder, so two evaluations' files never mix)")
    add_decoder_arguments(parser)
    add_dequantize_argument(parser)


def run(args):
    from pathlib import Path

    from ..evaluate import load_images, parse_methods, resolve_model
    from ..folders import FolderLock
    from ..link.channel import parse_channels, parse_snr_list
    from ..receivers import get_receiver

    methods, snrs = parse_methods(args.methods), parse_snr_list(args.snr)
    channels = parse_channels(args.channels, args.rician_factor)
    if args.batch < 1 or args.grid < 0:
        raise ValueError(f"--batch must be positive and --grid not negative, got {args.batch} and {args.grid}")
    model, model_record = resolve_model(args.model, args.device)
    upper = _companion(args, "upper", "upper" in methods, "method 'upper' needs an upper-bound model: pass --upper "
                       "NAME_OR_PATH or leave 'upper' out of --methods")
    robust = _companion(args, "robust", any("robust" in m for m in methods + [args.dequantize]),
                        "the robust receivers need a decoder trained for errors: pass --robust NAME_OR_PATH")
    get_receiver(args.dequantize, robust[0])
    images, names = load_images(args.data, args.split, args.limit, args.crop)
    out = Path(args.out)
    with FolderLock(out, "results folder"):
        claim_results_folder(out, args.overwrite)
        _evaluate(args, model, model_record, upper, robust, methods, snrs, channels, images, names, out)


def _companion(args, kind: str, wanted: bool, missing: str) -> tuple:
    """(model, record) of ``--upper`` / ``--robust`` (default: the shipped ``<model>-<kind>``), or (None, None) if
    no method wants it."""
    from ..evaluate import resolve_model
    from ..zoo import shipped

    if not wanted:
        return None, None
    spec = getattr(args, kind) or (f"{args.model}-{kind}" if args.model in shipped() else None)
    if spec is None:
        raise ValueError(missing)
    return resolve_model(spec, args.device)


def claim_results_folder(out, overwrite: bool) -> None:
    """Refuse a results folder that holds files, unless ``overwrite``: then delete the files an evaluation writes."""
    from ..evaluate import RESULT_FILES
    from ..folders import contents

    existing = contents(out)
    if existing and not overwrite:
        raise ValueError(f"results folder {out} is not empty ({', '.join(existing[:3])}"
                         f"{', ...' if len(existing) > 3 else ''}): choose another --out, or pass --overwrite")
    for name in RESULT_FILES:
        (out / name).unlink(missing_ok=True)


def _evaluate(args, model, model_record, upper, robust, methods, snrs, channels, images, names, out):
    import time
    from pathlib import Path

    from ..budget import bit_budget, format_budget
    from ..evaluate import FORMAT_HEADER, evaluate, format_row, write_results

    config = {"model": model_record, "upper": upper[1], "robust": robust[1], "data": str(Path(args.data).resolve()),
              "split": args.split, "files": names, "limit": args.limit, "crop": args.crop}
    budget = bit_budget(model.preset, args.crop, args.crop)
    print(f"{model.preset.name} on {len(names)} images of {args.data} ({args.split}), "
          f"budget {budget['index_bits']} bits per image")
    print(FORMAT_HEADER)
    start = time.perf_counter()
    result = evaluate(model, images, methods=methods, channels=channels, snr_db=snrs, upper=upper[0], robust=robust[0],
                      rician_factor=args.rician_factor, seed=args.seed, batch=args.batch, grid=args.grid,
                      decoder=args.decoder, max_k=args.max_k, dequantize=args.dequantize,
                      on_row=lambda row: print(format_row(row), flush=True))
    config["seconds"] = round(time.perf_counter() - start, 1)
    write_results(out, result, config)
    (out / "table1.md").write_text(format_budget(budget) + "\n")
    print(f"{time.perf_counter() - start:.1f} s; wrote {out / 'results.csv'}, results.json, table1.md"
          + (", grid.npz" if args.grid else ""))
