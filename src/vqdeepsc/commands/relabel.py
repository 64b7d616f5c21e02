"""``vqdeepsc relabel``: channel-robust index labels for a model (binary switching), written to a new model file."""

HELP = "give a model channel-robust index labels (pseudo-Gray coding); writes a new model file"


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="shipped model name or a quantized .safetensors file")
    parser.add_argument("--data", required=True, help="data folder: the codeword usage of its images is the prior")
    parser.add_argument("--split", default="train", help="split for the prior (default train)")
    parser.add_argument("--limit", type=int, default=512, metavar="N", help="images for the prior (default 512)")
    parser.add_argument("-o", "--output", required=True, help="new .safetensors file (an existing one is refused)")


def run(args):
    from ..checkpoint import new_model_path, save_model
    from ..data import load_images
    from ..imagefile import load_quantized
    from ..labels import relabel

    out = new_model_path(args.output)
    model, record = load_quantized(args.model)
    images, _ = load_images(args.data, args.split, args.limit, 128)
    labels = relabel(model, images)
    save_model(model, out, relabelled_from=record["model"], source_sha256=record["sha256"],
               label_prior=f"{len(images)} images of {args.data} ({args.split})")
    for space, new in zip(model.embedding_spaces, labels):
        print(f"N = {space.num_codes}: labels {new.tolist()}")
    print(f"wrote {out} (same encoder, codebooks and decoder as {args.model}; indices relabelled)")
