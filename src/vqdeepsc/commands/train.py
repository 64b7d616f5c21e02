"""``vqdeepsc train``: train a preset on a data set (the paper's recipe by default), or resume a run."""

HELP = "train VQ-DeepSC (L1 + VQ + PatchGAN), with checkpoints, resume and best-on-validation"


def add_arguments(parser):
    from ..train import TrainConfig as C

    a = parser.add_argument
    a("--preset", help="network preset, e.g. small-4, paper-4, paper-3-upper")
    a("--data", help="data folder: train/val/test sub-folders, the Stanford Cars layout, or any folder of images")
    a("--out", help="run directory to create (config.json, log.csv, checkpoint.pt, best.safetensors)")
    a("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR exactly where its last checkpoint stopped")
    a("--epochs", type=int, help=f"number of epochs (default {C.epochs}; with --resume: extend the run)")
    a("--batch-size", type=int, default=C.batch_size, help="global batch size")
    a("--lr", type=float, default=C.lr, help="transceiver Adam learning rate")
    a("--lr-disc", type=float, default=C.lr_disc, help="discriminator Adam learning rate")
    a("--betas", type=float, nargs=2, default=C.betas, help="Adam betas of both optimisers")
    a("--lr-schedule", choices=("constant", "cosine"), default=C.lr_schedule)
    a("--lam", type=float, default=C.lam, help="lambda, the weight of L_VQ against the GAN loss")
    a("--beta-c", type=float, default=C.beta_c, help="commitment weight")
    a("--gan-weight", type=float, default=C.gan_weight, help="weight of the adversarial loss (0: no discriminator)")
    a("--disc-channels", type=int, default=C.disc_channels, help="PatchGAN width")
    a("--kmeans-init", action="store_true", default=C.kmeans_init, help="k-means codebook initialisation (default)")
    a("--no-kmeans-init", dest="kmeans_init", action="store_false", help="U(-1/N, 1/N) initialisation (paper)")
    a("--dead-code-threshold", type=float, default=C.dead_code_threshold,
      help="restart codewords used less than this fraction of 1/N (0: never, the paper's plain VQ)")
    a("--ema-decay", type=float, default=C.ema_decay, help="EMA codebook updates with this decay (default: off)")
    a("--crop", type=int, default=C.crop)
    a("--train-limit", type=int, help="use only the first N training images")
    a("--val-limit", type=int, help="validate on only the first N validation images")
    a("--workers", type=int, default=C.workers, help="data-loader worker processes")
    a("--device", default=C.device, help="cpu, cuda, cuda:1 ... (under torchrun: the local GPU)")
    a("--bf16", action="store_true", help="bf16 autocast (CUDA)")
    a("--channels-last", action="store_true", help="channels_last memory format")
    a("--deterministic", action="store_true", help="deterministic algorithms (bit-exact resume on CPU)")
    a("--seed", type=int, default=C.seed)


def run(args):
    import os

    import torch.distributed as dist

    from ..train import TrainConfig, Trainer

    device = args.device
    if "LOCAL_RANK" in os.environ:  # started by torchrun
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend)
        if device.startswith("cuda"):
            device = f"cuda:{os.environ['LOCAL_RANK']}"
    try:
        if args.resume:
            trainer = Trainer.resume(args.resume, args.epochs)
        else:
            if not (args.preset and args.data and args.out):
                raise ValueError("--preset, --data and --out are required (or --resume RUN_DIR)")
            names = [k for k in vars(args) if k in TrainConfig.__dataclass_fields__]
            values = {k: getattr(args, k) for k in names if getattr(args, k) is not None and k != "device"}
            values["betas"] = tuple(values["betas"])
            trainer = Trainer(TrainConfig(run_dir=args.out, device=device, **values))
        history = trainer.fit()
        if trainer.rank == 0 and history:
            last = history[-1]
            print(f"epoch {last['epoch']}: val SSIM {last['val_ssim']:.4f}, PSNR {last['val_psnr']:.2f} dB; "
                  f"best val SSIM {trainer.best_ssim:.4f} -> {trainer.run_dir / 'best.safetensors'}")
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
