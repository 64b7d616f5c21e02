"""``vqdeepsc demo``: photos bundled with scikit-image through VQ-DeepSC (4 and 3 scales), JPEG at the same bit
budget and the analog Deep-JSCC of the same bandwidth over the same simulated links; a table, the figures and image
grids."""

from .link import add_decoder_arguments, add_dequantize_argument, add_symbols_arguments, link_options

HELP = ("send bundled photos through VQ-DeepSC (4 and 3 scales) and JPEG at the same budget over AWGN, Rayleigh "
        "and Rician links; print a table, write figures")


def add_arguments(parser):
    parser.add_argument("--out", default="vqdeepsc-demo", help="output folder (default: ./vqdeepsc-demo)")
    parser.add_argument("--snr", default="0:12:3", help="Es/N0 in dB: 'a,b,c' or 'start:stop:step' (default 0:12:3)")
    parser.add_argument("--channels", default="awgn,rayleigh,rician",
                        help="comma-separated channels: awgn, rayleigh, rician:R (default awgn,rayleigh,rician)")
    parser.add_argument("--rician-factor", type=float, default=2.0,
                        help="Rician factor r of a 'rician' without one (default 2)")
    parser.add_argument("--models", default="small-4,small-3", help="comma-separated shipped models")
    parser.add_argument("--seed", type=int, default=0, help="seed of the channel realisations")
    add_decoder_arguments(parser)
    add_symbols_arguments(parser)
    add_dequantize_argument(parser)


def run(args):
    import time
    from pathlib import Path

    import torch

    from ..data import embedded_photos
    from ..evaluate import evaluate
    from ..results import FORMAT_HEADER, format_row, write_results
    from ..evaluate import channel_symbols
    from ..zoo import analog_for, load, resolve_model
    from ..link.channel import parse_channels, parse_snr_list
    from .plot import draw

    start = time.perf_counter()
    snrs, channels = parse_snr_list(args.snr), parse_channels(args.channels, args.rician_factor)
    models = [resolve_model(name.strip()) for name in args.models.split(",")]
    photos = embedded_photos(128)
    images = torch.stack(list(photos.values()))
    print(f"VQ-DeepSC demo: {len(photos)} photos bundled with scikit-image ({', '.join(photos)}), centre 128x128; "
          f"shipped models {', '.join(record['model'] for _, record in models)}; JPEG gets each model's bit budget")
    print(FORMAT_HEADER)
    out, folders = Path(args.out), []
    robust = args.dequantize.startswith("robust-")
    for model, record in models:
        decoder = resolve_model(f"{record['model']}-robust")[0] if robust else None
        options = link_options(args, 128, 128)
        methods, analog = ["vq", "jpeg"], None
        try:  # the analog rival of the same bandwidth, where one is shipped
            analog = load(analog_for(channel_symbols(model, 128, 128, options), 128, 128))
            methods.append("djscc")
        except ValueError as e:
            print(f"note: {e}")
        result = evaluate(model, images, methods=methods, channels=channels, snr_db=snrs, robust=decoder, analog=analog,
                          rician_factor=args.rician_factor, seed=args.seed, grid=len(images),
                          link_options=options, dequantize=args.dequantize,
                          on_row=lambda row: print(format_row(row), flush=True))
        config = {"model": record, "data": "scikit-image photos", "files": list(photos), "crop": 128}
        folders.append(out / record["model"])
        write_results(folders[-1], result, config)
    draw(folders, out, ("ssim", "ms-ssim", "psnr", "ciede2000"))
    print(f"{time.perf_counter() - start:.0f} s; numbers in {', '.join(str(f / 'results.csv') for f in folders)}")
