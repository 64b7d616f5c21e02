"""``vqdeepsc merge``: join the shards of one evaluation (``vqdeepsc eval --shard I/N``) into one results folder."""

HELP = "join the results folders of 'vqdeepsc eval --shard I/N' runs into the results of one evaluation"


def add_arguments(parser):
    parser.add_argument("shards", nargs="+", metavar="FOLDER", help="the results folders of every shard")
    parser.add_argument("--out", required=True, help="output folder: results.csv, results.json, table1.md, "
                        "points.jsonl (and grid.npz, from the shard holding the first images)")
    parser.add_argument("--overwrite", action="store_true", help="replace the results already in --out")


def run(args):
    import shutil
    from pathlib import Path

    from ..folders import FolderLock
    from ..results import PointLog, merge, rows, write_results
    from .eval import claim_results_folder

    header, points, config = merge(args.shards)
    out = Path(args.out)
    if any(out.resolve() == Path(f).resolve() for f in args.shards):
        raise ValueError(f"--out {out} is one of the shards: choose a new folder")
    first = min(args.shards, key=lambda f: PointLog(f).read()[0]["image_ids"][0])
    with FolderLock(out, "results folder"):
        claim_results_folder(out, args.overwrite)
        results, noiseless = rows(header, points)
        settings = {**header["settings"], "images": len(header["image_ids"])}
        write_results(out, {"results": results, "settings": settings, "noiseless": noiseless}, config)
        log = PointLog(out)
        log.start({**header, "config": config, "settings": settings})
        for point in points:
            log.add(point)
        for name in ("table1.md", "grid.npz"):
            if (Path(first) / name).is_file():
                shutil.copyfile(Path(first) / name, out / name)
    print(f"merged {len(args.shards)} shards, {len(header['image_ids'])} images, {len(results)} rows into "
          f"{out / 'results.csv'}")
