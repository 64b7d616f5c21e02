"""``vqdeepsc train``: train a preset on a data set (the paper's recipe by default), or resume a run."""

HELP = "train VQ-DeepSC (L1 + VQ + PatchGAN), with checkpoints, resume and best-on-validation"


def add_arguments(parser):
    from ..metrics import METRICS
    from ..models.quantizers import QUANTIZERS
    from ..recipes import RECIPES
    from ..train import LR_SCHEDULES, TrainConfig as C

    a = parser.add_argument
    a("--preset", help="network preset, e.g. small-4, paper-4, paper-3-upper")
    a("--data", help="data folder: train/val/test sub-folders, the Stanford Cars layout, or any folder of images")
    a("--out", help="run directory to create (config.json, log.csv, checkpoint.pt, best.safetensors)")
    a("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR exactly where its last checkpoint stopped, "
      "with its own settings; only --epochs, --data (a moved data set), --workers and --device can change")
    a("--recipe", choices=tuple(RECIPES), help="hyper-parameters of a recipe (default: fast for small-* presets, "
      "paper for the others); any flag below overrides the recipe's value")
    a("--epochs", type=int, help="number of epochs (with --resume: extend the run)")
    a("--batch-size", type=int, help="global batch size")
    a("--lr", type=float, help="transceiver Adam learning rate")
    a("--lr-disc", type=float, help="discriminator Adam learning rate")
    a("--betas", type=float, nargs=2, help="Adam betas of both optimisers")
    a("--lr-schedule", choices=LR_SCHEDULES)
    a("--warmup-steps", type=int, help="linear warm-up steps of the warmup-cosine schedule")
    a("--lam", type=float, help="lambda, the weight of L_VQ against the GAN loss")
    a("--beta-c", type=float, help="commitment weight")
    a("--ssim-weight", type=float, help="weight of 1 - SSIM next to L1 (0: the paper's L1 only)")
    a("--gan-weight", type=float, help="weight of the adversarial loss (0: no discriminator)")
    a("--lowpass-weight", type=float, help="weight of the L1 between the images' mean colours over 8x8 blocks")
    a("--chroma-weight", type=float, help="weight of the L1 between the images' BT.601 chroma (Cb, Cr)")
    a("--lab-weight", type=float, help="weight of the L1 between the images' CIELAB values over 100")
    a("--disc-channels", type=int, help="PatchGAN width")
    a("--quantizer", choices=tuple(QUANTIZERS), help="quantizer of every scale (default: the recipe's)")
    a("--kmeans-init", action="store_true", default=None, help="k-means codebook initialisation")
    a("--no-kmeans-init", dest="kmeans_init", action="store_false", help="U(-1/N, 1/N) initialisation (paper)")
    a("--dead-code-threshold", type=float,
      help="restart codewords used less than this fraction of 1/N (0: never, the paper's plain VQ)")
    a("--ema-decay", type=float, help="EMA codebook updates with this decay (0: off, the codebook loss "
      "trains the codebooks, as in the paper; the fast recipe: 0.99)")
    a("--init-from", metavar="MODEL_FILE", help="start from the weights of this model file that fit (two-stage "
      "training: an upper bound's encoder and decoder, then the codebooks by k-means of its features)")
    a("--channel-errors", type=float, metavar="MAX_BER", help="fine-tune only the decoder of the --init-from model "
      "for channel errors: each image arrives error-free, with bit errors at a rate up to MAX_BER, or as soft "
      "posteriors (the encoder, the codebooks and so the bits stay; try 0.25)")
    a("--decoder-tail", action="store_true", default=None, help="fine-tune only the decoder's layers after the "
      "finest received scale of the --init-from model, error-free: a closed-loop transmitter never runs them, so "
      "the bits stay exactly as they were (try --lr 1e-3 --epochs 8)")
    a("--select", metavar="METRIC", help="validation metric that picks the best checkpoint: "
      f"{', '.join(m.name for m in METRICS)} (default: the recipe's, ssim)")
    a("--crop", type=int, help="random training crop (the network is fully convolutional)")
    a("--val-crop", type=int, help="centre crop for validation (default 128)")
    a("--cache-images", action="store_true", default=None, help="decode the images once and keep them in memory")
    a("--train-limit", type=int, help="use only the first N training images")
    a("--val-limit", type=int, help="validate on only the first N validation images")
    a("--workers", type=int, help=f"data-loader worker processes (default {C.workers})")
    a("--device", help=f"cpu, cuda, cuda:1 ... (default {C.device}; under torchrun: the local GPU)")
    a("--bf16", action="store_true", default=None, help="bf16 autocast")
    a("--channels-last", action="store_true", default=None, help="channels_last memory format")
    a("--deterministic", action="store_true", default=None, help="deterministic algorithms (bit-exact resume on CPU)")
    a("--seed", type=int, help=f"random seed (default {C.seed})")
    a("--overwrite", action="store_true", help="replace the run already in --out (default: refuse a non-empty folder)")


def resume_hint(args) -> str:
    run = args.resume or args.out
    return f"the finished epochs are kept: continue with vqdeepsc train --resume {run}" if run else ""


def validation_summary(row: dict) -> str:
    """The validation metrics of a training log row, e.g. ``SSIM 0.9111, MS-SSIM 0.9500, PSNR 26.05 dB, ...``."""
    from ..metrics import METRICS

    return ", ".join(f"{m.label} {m.format(row[f'val_{m.key}'])}" for m in METRICS if f"val_{m.key}" in row)


def run(args):
    import os
    from pathlib import Path

    import torch.distributed as dist

    from ..metrics import get_metric
    from ..recipes import default_recipe, recipe_values
    from ..train import RESUME_CHANGES, TrainConfig, Trainer

    names = [k for k in vars(args) if k in TrainConfig.__dataclass_fields__ or k in ("recipe", "out", "overwrite")]
    given = {k: getattr(args, k) for k in names if getattr(args, k) is not None and getattr(args, k) is not False}
    if args.resume:
        fixed = [f"--{k.replace('_', '-')}" for k in given if k not in RESUME_CHANGES]
        if fixed:
            raise ValueError(f"--resume continues the run with its own settings and can change only "
                             f"{', '.join('--' + k for k in RESUME_CHANGES)}; drop {', '.join(fixed)} "
                             f"(or start a new run with --out)")
    elif not (args.preset and args.data and args.out):
        raise ValueError("--preset, --data and --out are required (or --resume RUN_DIR)")
    if "LOCAL_RANK" in os.environ:  # started by torchrun; the Trainer takes the local GPU
        dist.init_process_group("nccl" if (args.device or "").startswith("cuda") else "gloo")
    try:
        if args.resume:
            changes = {k: given[k] for k in RESUME_CHANGES if k in given}
            if "data" in changes:
                changes["data"] = str(Path(changes["data"]).resolve())
            trainer = Trainer.resume(args.resume, **changes)
        else:
            values = recipe_values(args.recipe or default_recipe(args.preset), args.preset)
            values.update({k: v for k, v in given.items() if k in TrainConfig.__dataclass_fields__})
            values.update(betas=tuple(values["betas"]), run_dir=args.out)
            if args.init_from:
                values["init_from"] = str(Path(args.init_from).resolve())
            trainer = Trainer(TrainConfig(**values), overwrite=args.overwrite)
        history = trainer.fit()
        if trainer.rank == 0 and history:
            last, best = history[-1], max(history, key=trainer.score)
            metric = get_metric(trainer.cfg.select)
            errors = f"val_{metric.key}_errors"
            errors = f", with errors {metric.format(best[errors])}" if errors in best else ""
            print(f"epoch {last['epoch']}: val {validation_summary(last)}; best by {metric.label}: epoch "
                  f"{best['epoch']}, val {validation_summary(best)}{errors} -> {trainer.run_dir / 'best.safetensors'}")
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
