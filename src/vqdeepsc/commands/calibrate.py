"""``vqdeepsc calibrate``: measure a model's colour cast on a split and write the model that subtracts it."""

HELP = "remove a model's colour cast (its mean RGB error on a split, default train); writes a new model file"


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="shipped model name or a VQ-DeepSC .safetensors file")
    parser.add_argument("--data", required=True, help="data folder whose images measure the cast")
    parser.add_argument("--split", default="train", help="split that measures the cast (default train: never the "
                        "images the model is judged on)")
    parser.add_argument("--limit", type=int, metavar="N", help="first N images of the split (default all)")
    parser.add_argument("-o", "--output", required=True, help="new .safetensors file (an existing one is refused)")


def run(args):
    from ..calibration import calibrate_colour
    from ..checkpoint import new_model_path, save_model
    from ..data import load_images
    from ..models.system import VQDeepSC
    from ..zoo import resolve_model

    out = new_model_path(args.output)
    model, record = resolve_model(args.model)
    if not isinstance(model, VQDeepSC):
        raise ValueError(f"model {args.model!r} is an analog Deep-JSCC model: calibrate calibrates VQ-DeepSC models")
    images, _ = load_images(args.data, args.split, args.limit, 128)
    before = model.decoder.colour_cast.clone()
    cast = calibrate_colour(model, images)
    save_model(model, out, calibrated_from=record["model"], source_sha256=record["sha256"],
               colour_cast=[round(float(c), 6) for c in cast],
               cast_measured_on=f"{len(images)} images of {args.data} ({args.split})")
    rgb = ", ".join(f"{255 * c:+.2f}" for c in cast)
    print(f"colour cast of {args.model} on {len(images)} {args.split} images: R, G, B {rgb} of 255"
          + (" (replaces its earlier calibration)" if before.any() else ""))
    print(f"wrote {out} (same encoder, codebooks, labels and decoder weights; the decoder subtracts the cast)")
