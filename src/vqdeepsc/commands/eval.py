"""``vqdeepsc eval``: SSIM / PSNR against Es/N0 of VQ-DeepSC, its upper bound and classic codecs (paper's Fig. 3)."""

from ..cli import bounded
from ..config import MAX_SIDE
from .link import add_decoder_arguments, add_dequantize_argument, add_symbols_arguments, link_options
from .encode import add_index_search_argument, index_search

MAX_BATCH = 1024
MAX_GRID = 10_000

HELP = "SSIM/PSNR vs Es/N0 of VQ-DeepSC, its upper bound and JPEG (+ other codecs) over the 5G LDPC + QAM link"


def add_arguments(parser):
    a = parser.add_argument
    a("--model", required=True, help="shipped model name or a .safetensors file written by training")
    a("--upper", metavar="NAME_OR_PATH", help="upper-bound model for method 'upper' (default: <model>-upper, shipped)")
    a("--robust", metavar="NAME_OR_PATH", help="model with a decoder trained for errors (vqdeepsc train "
      "--channel-errors) for the vq-robust-* methods (default: <model>-robust, shipped)")
    a("--data", required=True, help="data folder (train/val/test, Stanford Cars layout, or any folder of images)")
    a("--split", default="test", help="split to evaluate (default test)")
    a("--channels", default="awgn,rayleigh,rician", help="comma-separated channels: awgn, rayleigh, rician:R (R the "
      "Rician factor; rician alone takes --rician-factor) (default awgn,rayleigh,rician)")
    a("--snr", default="0:20:2", help="Es/N0 in dB: start:stop:step (inclusive) or a,b,c (default 0:20:2)")
    a("--methods", default="vq,upper,jpeg",
      help="comma-separated: vq (VQ-DeepSC with the --dequantize receiver), vq-hard, vq-soft, vq-soft-erasures "
           "(each receiver, side by side on the same channel draws), vq-robust-hard, vq-robust-soft, "
           "vq-robust-soft-erasures (with the --robust decoder), upper, jpeg, webp, jpeg2000, avif, heif, "
           "capacity-<codec> (the codec's file at the channel's capacity, with --symbols), djscc (analog Deep-JSCC "
           "of the same bandwidth, --analog) (default vq,upper,jpeg)")
    a("--analog", metavar="NAME_OR_PATH", help="the analog Deep-JSCC model of method djscc (default: the shipped one "
      "whose bandwidth is the evaluation's channel symbols per image: --symbols, or VQ-DeepSC's payload)")
    a("--family", default="small-4,small-3", metavar="NAME[,NAME]",
      help="with --mcs adaptive, the models of the rate-adaptive VQ-DeepSC (method vq) besides --model: each link "
           "sends the one with the most bits that fit, and each decodes failed frames by its decoder trained for "
           "errors, <name>-robust (default small-4,small-3, the shipped ones; --model's own is --robust)")
    a("--out", required=True, help="output folder: results.csv, results.json, table1.md, points.jsonl (and grid.npz)")
    a("--limit", type=int, metavar="N", help="only N images of the split (a fixed random sample)")
    a("--shard", metavar="I/N", help="evaluate only the I-th of N equal parts of the images (0-based), to run the "
      "parts in separate processes or machines and join them with 'vqdeepsc merge'")
    a("--seed", type=int, default=0, help="random seed of the channel realisations (default 0)")
    a("--rician-factor", type=float, default=2.0, metavar="R", help="Rician factor r of a 'rician' without one "
      "(default 2.0)")
    a("--batch", type=bounded(1, MAX_BATCH), default=16,
      help="images per link call (default 16; the results do not depend on it)")
    a("--crop", type=bounded(1, MAX_SIDE), default=128, help="centre-crop size (default 128, the paper's)")
    a("--grid", type=bounded(0, MAX_GRID), default=0, metavar="N",
      help="keep the first N images' reconstructions at every SNR (channel awgn) for 'vqdeepsc plot'")
    a("--device", default="cpu", help="cpu, cuda, ... (default cpu)")
    add_index_search_argument(parser)
    a("--resume", action="store_true", help="continue the evaluation in --out that was stopped, with the same "
      "arguments: finished points are kept (every point is saved as soon as it is finished)")
    a("--overwrite", action="store_true", help="replace the results already in --out (default: refuse a non-empty "
      "folder, so two evaluations' files never mix)")
    a("--no-progress", action="store_true", help="no progress bar")
    add_decoder_arguments(parser)
    add_symbols_arguments(parser)
    add_dequantize_argument(parser)


def resume_hint(args) -> str:
    flag = "--resume instead of --overwrite" if args.overwrite else "--resume"
    return f"the finished points are kept in {args.out}: continue with the same arguments and {flag}"


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"1/4"`` -> ``(1, 4)``; ``ValueError`` unless ``0 <= I < N``."""
    if text is None:
        return None
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard must be I/N, e.g. 0/4, got {text!r}") from None
    if not 0 <= index < count:
        raise ValueError(f"--shard {text}: need 0 <= I < N")
    return index, count


def run(args):
    from pathlib import Path

    import numpy as np

    from ..data import load_images
    from ..folders import FolderLock
    from ..link.channel import parse_channels, parse_snr_list
    from ..senders import parse_methods
    from ..receivers import get_receiver
    from ..zoo import resolve_model

    methods, snrs = parse_methods(args.methods), parse_snr_list(args.snr)
    channels = parse_channels(args.channels, args.rician_factor)
    shard = parse_shard(args.shard)
    search = index_search(args)
    if args.batch < 1 or args.grid < 0:
        raise ValueError(f"--batch must be positive and --grid not negative, got {args.batch} and {args.grid}")
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the results in --out, --overwrite replaces them: pass one")
    model, model_record = resolve_model(args.model, args.device)
    upper = _companion(args, "upper", "upper" in methods, "method 'upper' needs an upper-bound model: pass --upper "
                       "NAME_OR_PATH or leave 'upper' out of --methods")
    robust = _companion(args, "robust", any("robust" in m for m in methods + [args.dequantize]),
                        "the robust receivers need a decoder trained for errors: pass --robust NAME_OR_PATH")
    get_receiver(args.dequantize, robust[0])
    family = _family(args, methods)
    analog = _analog(args, model) if "djscc" in methods else (None, None)
    images, names = load_images(args.data, args.split, args.limit, args.crop)
    ids = list(range(len(names)))
    if shard:
        ids = np.array_split(np.arange(len(names)), shard[1])[shard[0]].tolist()
        if not ids:
            raise ValueError(f"--shard {args.shard}: no images in this part of {len(names)}")
        images, names = images[ids], [names[i] for i in ids]
    if family is not None and robust[0] is None:
        robust = _companion(args, "robust", True, "the rate-adaptive VQ-DeepSC decodes failed frames by a decoder "
                            "trained for errors: pass --robust NAME_OR_PATH")
    config = {"model": model_record, "upper": upper[1], "robust": robust[1], "data": str(Path(args.data).resolve()),
              "family": [[m[1], r[1]] for m, r in family] if family else None, "analog": analog[1],
              "split": args.split, "files": names, "limit": args.limit, "crop": args.crop, "shard": shard}
    out = Path(args.out)
    with FolderLock(out, "results folder"):
        if not args.resume:
            claim_results_folder(out, args.overwrite)
        _evaluate(args, model, upper[0], robust[0], methods, snrs, channels, images, ids, config, out, search,
                  [(m[0], r[0]) for m, r in family] if family else None, analog[0])


def _family(args, methods) -> list | None:
    """``[((model, record), (robust, record))]`` of ``--family`` without ``--model`` (``None`` unless ``--mcs
    adaptive`` with method vq)."""
    from ..zoo import resolve_model

    if args.mcs != "adaptive" or "vq" not in methods:
        return None
    names = [n.strip() for n in args.family.split(",") if n.strip() and n.strip() != args.model]
    return [(resolve_model(n, args.device), resolve_model(f"{n}-robust", args.device)) for n in names]


def _analog(args, model) -> tuple:
    """(model, record) of ``--analog``, or of the shipped analog model of the evaluation's bandwidth."""
    from ..evaluate import channel_symbols
    from ..zoo import analog_for, resolve_model

    symbols = channel_symbols(model, args.crop, args.crop, link_options(args, args.crop, args.crop))
    return resolve_model(args.analog or analog_for(symbols, args.crop, args.crop), args.device)


def _companion(args, kind: str, wanted: bool, missing: str) -> tuple:
    """(model, record) of ``--upper`` / ``--robust`` (default: the shipped ``<model>-<kind>``), or (None, None) if
    no method wants it."""
    from ..zoo import resolve_model, shipped

    if not wanted:
        return None, None
    spec = getattr(args, kind) or (f"{args.model}-{kind}" if args.model in shipped() else None)
    if spec is None:
        raise ValueError(missing)
    return resolve_model(spec, args.device)


def claim_results_folder(out, overwrite: bool) -> None:
    """Refuse a results folder that holds files, unless ``overwrite``: then delete the files an evaluation writes."""
    import shutil

    from ..folders import contents
    from ..results import GRID_PARTS, POINTS_FILE, RESULT_FILES

    existing = contents(out)
    if existing and not overwrite:
        stopped = POINTS_FILE in existing and "results.json" not in existing
        raise ValueError(f"results folder {out} is not empty ({', '.join(existing[:3])}"
                         f"{', ...' if len(existing) > 3 else ''}): "
                         + ("it holds a stopped evaluation: pass --resume to continue it, " if stopped else "")
                         + "choose another --out, or pass --overwrite")
    for name in RESULT_FILES:
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / GRID_PARTS, ignore_errors=True)


def _evaluate(args, model, upper, robust, methods, snrs, channels, images, ids, config, out, search, family, analog):
    import json
    import shutil
    import time

    from tqdm import tqdm

    from ..budget import bit_budget, format_budget
    from ..evaluate import Evaluation
    from ..results import (FORMAT_HEADER, GRID_PARTS, PointLog, differences, format_row, load_grid_part, save_grid_part,
                           write_results)

    budget = bit_budget(model.preset, args.crop, args.crop)
    shard = f", shard {args.shard}" if args.shard else ""
    print(f"{model.preset.name} on {len(images)} images of {args.data} ({args.split}{shard}), "
          f"budget {budget['index_bits']} bits per image")
    start = time.perf_counter()
    evaluation = Evaluation(model, images, methods=methods, channels=channels, snr_db=snrs, upper=upper, robust=robust,
                            rician_factor=args.rician_factor, seed=args.seed, batch=args.batch, grid=args.grid,
                            link_options=link_options(args, args.crop, args.crop), dequantize=args.dequantize,
                            image_ids=ids, index_search=search, family=family, analog=analog)
    header = json.loads(json.dumps(evaluation.header(config)))
    log = PointLog(out)
    old, points = log.read()
    total = len(channels) * len(snrs)
    if args.resume:
        if old is None:
            raise ValueError(f"nothing to resume in {out}: it holds no {log.path.name}")
        differ = differences(old, header) + (["image_ids"] if old["image_ids"] != header["image_ids"] else [])
        if differ:
            raise ValueError(f"--resume: {out} holds an evaluation with other arguments (differs in "
                             f"{', '.join(differ)}); run it with the same arguments, or use another --out")
        print(f"resuming: {len(points)} of {total} points already finished")
        if len(points) == total and (out / "results.json").is_file():
            print(f"{out} holds this evaluation finished: its results stand, nothing to do")
            return
    else:
        log.start(header)
        points = []
    done = {(p["channel"], p["snr_db"]): load_grid_part(out, p) if args.grid and p["channel"] ==
            evaluation.grid_channel else p for p in points}

    def finished(point):
        if "grid" in point:
            save_grid_part(out, point)
        log.add({k: v for k, v in point.items() if k != "grid"})

    print(FORMAT_HEADER)
    with tqdm(total=total * len(images), unit="image", disable=args.no_progress,
              dynamic_ncols=True) as bar:
        result = evaluation.run(done, on_point=finished, progress=bar,
                                on_row=lambda row: bar.write(format_row(row)) if not args.no_progress
                                else print(format_row(row), flush=True))
    config.update(seconds=round(time.perf_counter() - start, 1), resumed_points=len(points))
    write_results(out, result, config)
    (out / "table1.md").write_text(format_budget(budget) + "\n")
    shutil.rmtree(out / GRID_PARTS, ignore_errors=True)
    print(f"{time.perf_counter() - start:.1f} s; wrote {out / 'results.csv'}, results.json, table1.md, points.jsonl"
          + (", grid.npz" if args.grid else ""))
