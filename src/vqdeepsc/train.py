"""Training of VQ-DeepSC as in the paper: ``min_G max_D E[lambda * L_VQ + L_GAN]``, noiseless.

A run directory holds ``config.json``, ``log.csv`` (every loss term, validation metrics and codebook health per
epoch), ``curves.png``, ``checkpoint.pt`` (everything needed to resume), ``best.safetensors`` (the transceiver
that is best on validation by the metric ``select`` names, a recipe field: SSIM unless the recipe says otherwise) and
``last.safetensors`` (the transceiver of the latest epoch: with a cosine schedule, the end of the run). All of them are
written atomically, once per epoch; ``curves.png`` at most once a minute (drawing it costs about a second) and at the
last epoch.

Multi-GPU: start the same command with ``torchrun --nproc-per-node N -m vqdeepsc.cli train ...`` (NCCL on CUDA,
gloo on CPU). ``--batch-size`` is the global batch, split over the processes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from .checkpoint import (atomic_write, load_checkpoint, load_matching_weights, load_model, read_model_metadata,
                         save_checkpoint, save_model)
from .config import MAX_SIDE, AnalogPreset, Preset, get_preset, legacy_network, preset_from_dict
from .folders import FolderLock, contents, remove_orphans
from .data import ImageDataset, collate_images, split_files
from .link.channel import AWGN
from .losses import AnalogLoss, SemanticLoss, discriminator_loss
from .metrics import METRICS, get_metric, image_scores
from .models.discriminator import PatchDiscriminator
from .models.quantizers import QUANTIZERS
from .models import build_model
from .models.system import VQDeepSC
from .reception_model import SimulatedReception, error_free, hard_errors

CHECKPOINT_FORMAT = "vqdeepsc-checkpoint/1"
LR_SCHEDULES = ("constant", "cosine", "warmup-cosine")
VAL_BER = 0.1
"""Bit error rate of the validation with errors (``--channel-errors``): the BER the hard receiver sees at and
below the LDPC cliff is 5-20 %."""


class TrainingError(ValueError):
    """Training cannot go on (a non-finite loss); the message says which checkpoint is still good."""


@dataclass
class TrainConfig:
    """Every hyper-parameter; defaults are the paper's, except the codebook remedies (see README)."""

    preset: str
    data: str
    run_dir: str
    epochs: int = 200
    batch_size: int = 24
    lr: float = 1.75e-4
    lr_disc: float = 1e-5
    betas: tuple[float, float] = (0.5, 0.999)
    lr_schedule: str = "constant"  # "cosine": per epoch to 0; "warmup-cosine": linear warm-up, then per step to 0
    warmup_steps: int = 0
    lam: float = 5.0
    beta_c: float = 0.25
    ssim_weight: float = 0.0  # weight of 1 - SSIM next to L1
    gan_weight: float = 1.0  # 0 trains without the discriminator
    lowpass_weight: float = 0.0  # weight of the L1 of the 8x8 block means (colour)
    chroma_weight: float = 0.0  # weight of the L1 of the BT.601 chroma
    lab_weight: float = 0.0  # weight of the L1 of the CIELAB values / 100
    select: str = "ssim"  # the validation metric (vqdeepsc.metrics) that picks the best checkpoint
    disc_channels: int = 64
    quantizer: str | None = None  # None: the preset's
    kmeans_init: bool = True
    dead_code_threshold: float = 0.1
    ema_decay: float | None = None  # None or 0: the codebook loss trains the codebooks
    crop: int = 128  # training crop (random); the network is fully convolutional
    val_crop: int = 128  # validation crop (centre)
    cache_images: bool = False  # decode every image once and hold it in memory
    init_from: str | None = None  # start from the matching weights of this model file (e.g. the upper bound)
    channel_errors: float = 0.0  # > 0: train only the decoder of init_from on receptions with BER up to this
    decoder_tail: bool = False  # train only the decoder's layers after the finest scale of init_from: the bits stay
    recipe: str | None = None  # the recipe these values came from (recorded only)
    train_limit: int | None = None  # use only the first N training images (smoke runs)
    val_limit: int | None = None
    workers: int = 1
    device: str = "cpu"
    bf16: bool = False
    channels_last: bool = False
    deterministic: bool = False
    seed: int = 0

    def check(self) -> None:
        get_preset(self.preset)
        if self.epochs < 1 or self.batch_size < 1 or self.crop < 16 or self.val_crop < 16:
            raise ValueError("epochs and batch size must be >= 1 and the crops >= 16")
        if (max(self.crop, self.val_crop) > MAX_SIDE or self.batch_size > MAX_BATCH
                or not 0 <= self.workers <= MAX_WORKERS):
            raise ValueError(f"the crops must be at most {MAX_SIDE}, the batch size at most {MAX_BATCH} and the "
                             f"data-loader workers 0..{MAX_WORKERS}")
        if min(self.lr, self.lr_disc, self.lam) <= 0 or min(self.beta_c, self.gan_weight, self.ssim_weight,
                                                                  self.lowpass_weight, self.chroma_weight,
                                                                  self.lab_weight) < 0:
            raise ValueError("learning rates and lambda must be > 0, beta_c and the loss weights >= 0")
        if self.lr_schedule not in LR_SCHEDULES or self.warmup_steps < 0:
            raise ValueError(f"unknown learning-rate schedule {self.lr_schedule!r}; use {', '.join(LR_SCHEDULES)} "
                             f"(and warm-up steps >= 0)")
        if self.quantizer is not None and self.quantizer not in QUANTIZERS:
            raise ValueError(f"unknown quantizer {self.quantizer!r}; known: {', '.join(QUANTIZERS)}")
        if self.channel_errors and not (0 < self.channel_errors <= 0.5 and self.init_from
                                        and get_preset(self.preset).quantized and self.quantizer is None):
            raise ValueError("--channel-errors fine-tunes the decoder of a quantized model: give a BER in (0, 0.5] "
                             "and the model with --init-from (its encoder, codebooks and so its bits stay)")
        if self.decoder_tail and (self.channel_errors or not self.init_from or not get_preset(self.preset).quantized
                                  or self.quantizer is not None):
            raise ValueError("--decoder-tail fine-tunes the last decoder layers of a quantized model: give the model "
                             "with --init-from, and no --channel-errors or --quantizer")
        if isinstance(get_preset(self.preset), AnalogPreset) and (self.quantizer or self.init_from or self.gan_weight
                                                                  or self.lowpass_weight or self.chroma_weight
                                                                  or self.lab_weight):
            raise ValueError(f"{self.preset} is an analog preset: it trains from scratch on MSE (+ --ssim-weight), "
                             f"without a quantizer, --init-from, a discriminator or the colour terms")
        if get_metric(self.select).min_side > self.val_crop:
            raise ValueError(f"--select {self.select} needs a validation crop of {get_metric(self.select).min_side} "
                             f"pixels or more, not {self.val_crop}")
        for name in ("crop", "val_crop"):
            if getattr(self, name) % 2 ** get_preset(self.preset).num_scales:
                raise ValueError(f"{name} {getattr(self, name)} is not a multiple of 2^L for preset {self.preset}")

    def model_preset(self) -> Preset | AnalogPreset:
        """The preset, with the quantizer this run chose."""
        preset = get_preset(self.preset)
        return replace(preset, quantizer=self.quantizer) if self.quantizer else preset


def _world() -> tuple[int, int]:
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def _rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": torch.tensor(np.random.get_state()[1].astype(np.int64)),
            "numpy_pos": int(np.random.get_state()[2]), "python": torch.tensor(random.getstate()[1])}


def _set_rng_state(s: dict) -> None:
    torch.set_rng_state(s["torch"])
    np.random.set_state(("MT19937", s["numpy"].numpy().astype(np.uint32), s["numpy_pos"], 0, 0.0))
    random.setstate((3, tuple(int(v) for v in s["python"]), None))


MAX_BATCH, MAX_WORKERS = 4096, 64
"""Largest batch and most data-loader workers a run may ask for."""
CURVES_EVERY_S = 60.0  # seconds between two drawings of curves.png during a run

RUN_FILES = ("config.json", "log.csv", "curves.png", "checkpoint.pt", "best.safetensors", "last.safetensors")
RESUME_CHANGES = ("epochs", "data", "workers", "device")
"""What a resume may change: more epochs, a moved data set, the loader's workers and the device."""


def network_of(weights: dict, preset: Preset, options: dict) -> Preset:
    """The network of a checkpoint written before checkpoints recorded it: ``preset`` as it is now, or as presets
    were before networks were recorded (:func:`~vqdeepsc.config.legacy_network`), whichever ``weights`` (the
    checkpoint's model state) fit; ``ValueError`` if neither does."""
    for candidate in (preset, legacy_network(preset)):
        with torch.device("meta"):
            own = VQDeepSC(candidate, **options).state_dict()
        if own.keys() == weights.keys() and all(own[k].shape == weights[k].shape for k in own):
            return candidate
    raise ValueError(f"the checkpoint's weights fit no network of preset {preset.name!r} (neither today's nor "
                     "the one before networks were recorded)")


class Trainer:
    """One training run; ``Trainer(config).fit()``, or ``Trainer.resume(run_dir).fit()``.

    A new run refuses a run folder that is not empty, unless ``overwrite`` (then the run files of the old run are
    deleted when training starts; other files stay). The folder is locked while ``fit`` runs, so two runs never
    write one folder.
    """

    def __init__(self, config: TrainConfig, state: dict | None = None, overwrite: bool = False,
                 resuming: bool = False):
        config.check()
        config = replace(config, data=str(Path(config.data).resolve()))
        self.cfg, self.run_dir, self.overwrite = config, Path(config.run_dir), overwrite
        self.resuming = resuming or state is not None
        self.rank, self.world = _world()
        if config.batch_size % self.world:
            raise ValueError(f"batch size {config.batch_size} is not divisible by {self.world} processes")
        self.device = torch.device(config.device)
        if self.world > 1 and self.device.type == "cuda":  # under torchrun: this process's local GPU
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", self.rank)))
        torch.manual_seed(config.seed + self.rank)
        if config.deterministic:
            torch.use_deterministic_algorithms(True)
        preset, source = config.model_preset(), None
        options = dict(kmeans_init=config.kmeans_init, dead_code_threshold=config.dead_code_threshold,
                       ema_decay=config.ema_decay or None)
        if config.channel_errors or config.decoder_tail:  # only (a part of) the decoder of init_from learns
            source = load_model(config.init_from)
            if source.preset.name != preset.name:
                raise ValueError(f"{config.init_from} holds a {source.preset.name!r} model, not {preset.name!r}")
            preset, options = source.preset, source.quantizer_options
        elif config.init_from:  # two-stage: the network of the model it starts from (e.g. an older upper bound's)
            network = read_model_metadata(config.init_from)[0]
            preset = replace(preset, up_widths=network.up_widths, encoder_fine_blocks=network.encoder_fine_blocks,
                             decoder_fine_blocks=network.decoder_fine_blocks)
        if state is not None:  # the network the checkpoint holds; checkpoints without one: as presets were then
            preset = (preset_from_dict(json.loads(state["preset"])) if "preset" in state
                      else network_of(state["model"], preset, options))
        self.model = build_model(preset, **options).to(self.device)
        self.analog = isinstance(preset, AnalogPreset)
        self.disc = PatchDiscriminator(config.disc_channels).to(self.device)
        if state is None and source is not None:  # the whole model it fine-tunes, already read
            self.model.load_state_dict(source.state_dict())
        elif state is None and config.init_from:
            load_matching_weights(self.model, config.init_from)
        self.reception, self.transmitter = None, self.model
        if source is not None:  # the transmitter (encoder, codebooks) stays: only the decoder, or its tail, learns
            if self.world > 1:
                raise ValueError("--channel-errors and --decoder-tail train in one process")
            self.model.requires_grad_(False)
            (self.model.decoder.tail() if config.decoder_tail else self.model.decoder).requires_grad_(True)
            # the indices come from the model as it was: a closed-loop choice reads the decoder, which now learns
            # (its tail, which the choice never runs, alone leaves them as they were)
            self.transmitter = source.requires_grad_(False).to(self.device)
            self.reception = SimulatedReception(config.channel_errors) if config.channel_errors else error_free
        if config.channels_last:
            self.model, self.disc = (m.to(memory_format=torch.channels_last) for m in (self.model, self.disc))
        self.opt_g = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad], config.lr,
                                      betas=config.betas)
        self.opt_d = torch.optim.Adam(self.disc.parameters(), config.lr_disc, betas=config.betas)
        self.epoch, self.step, self.best_score, self.history = 0, 0, -math.inf, []
        self.curves_drawn_at = -math.inf
        if state is not None:
            self.model.load_state_dict(state["model"])
            self.disc.load_state_dict(state["disc"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            self.epoch, self.step = state["epoch"], state["step"]
            self.best_score = state.get("best_score", state.get("best_ssim"))  # older checkpoints: SSIM
            self.history = json.loads(state["history"])
            _set_rng_state(state["rng"][self.rank] if self.rank < len(state["rng"]) else state["rng"][0])
        self.ddp = DistributedDataParallel(self.model) if self.world > 1 else self.model
        files = split_files(config.data, "train")[: config.train_limit]
        self.train_set = ImageDataset(files, config.crop, train=True, cache=config.cache_images)
        self.val_set = ImageDataset(split_files(config.data, "val")[: config.val_limit], config.val_crop,
                                    cache=config.cache_images)
        self.steps_per_epoch = len(self.train_set) // config.batch_size

    @property
    def criterion(self) -> SemanticLoss | AnalogLoss:
        cfg = self.cfg
        if self.analog:
            return AnalogLoss(cfg.ssim_weight)
        return SemanticLoss(cfg.lam, cfg.beta_c, cfg.ssim_weight, cfg.gan_weight, cfg.lowpass_weight, cfg.chroma_weight,
                            cfg.lab_weight)

    @classmethod
    def resume(cls, run_dir: str | Path, epochs: int | None = None, **changes) -> "Trainer":
        """Continue the run in ``run_dir`` from its last checkpoint, or from epoch 0 with its ``config.json`` if it
        stopped before its first one; ``epochs`` and ``changes`` (keys in ``RESUME_CHANGES``) replace the run's
        values."""
        if set(changes) - set(RESUME_CHANGES):
            raise ValueError(f"a resume can change only {', '.join(RESUME_CHANGES)}, not {', '.join(changes)}")
        run_dir = Path(run_dir)
        stored = run_dir / "config.json"
        if not (run_dir / "checkpoint.pt").is_file() and not stored.is_file():
            raise ValueError(f"no checkpoint in {run_dir}, nor the config.json of a run stopped in its first epoch: "
                             f"nothing to resume; start a run with --preset, --data and --out")
        if (run_dir / "checkpoint.pt").is_file():
            state = load_checkpoint(run_dir / "checkpoint.pt")
            cfg = json.loads(state["config"])
        else:  # stopped before its first checkpoint: nothing was learned yet, so the run starts again
            state, cfg = None, _stored_config(stored)
            print(f"{run_dir} holds no checkpoint (its run stopped in its first epoch): starting it again from "
                  f"epoch 0 with its config.json")
        cfg.pop("up_widths", None)  # runs of one earlier version: their checkpoint's weights say the widths
        cfg["betas"] = tuple(cfg["betas"])
        cfg["run_dir"] = str(run_dir)
        cfg.update({k: v for k, v in dict(changes, epochs=epochs).items() if v is not None})
        return cls(TrainConfig(**cfg), state, resuming=True)

    def _lr_factor(self, epoch: int, step: int) -> float:
        cfg = self.cfg
        if cfg.lr_schedule == "constant":
            return 1.0
        if cfg.lr_schedule == "cosine":
            return 0.5 * (1 + math.cos(math.pi * epoch / cfg.epochs))
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        total = max(cfg.epochs * self.steps_per_epoch - cfg.warmup_steps, 1)
        return 0.5 * (1 + math.cos(math.pi * min((step - cfg.warmup_steps) / total, 1.0)))

    def _set_lr(self) -> float:
        factor = self._lr_factor(self.epoch, self.step)
        for opt, lr in ((self.opt_g, self.cfg.lr), (self.opt_d, self.cfg.lr_disc)):
            for group in opt.param_groups:
                group["lr"] = lr * factor
        return self.cfg.lr * factor

    def _loader(self, epoch: int) -> DataLoader:
        g = torch.Generator().manual_seed(self.cfg.seed * 100003 + epoch)
        sampler = DistributedSampler(self.train_set, seed=self.cfg.seed) if self.world > 1 else None
        if sampler is not None:
            sampler.set_epoch(epoch)
        return DataLoader(self.train_set, self.cfg.batch_size // self.world, shuffle=sampler is None, sampler=sampler,
                          generator=g, num_workers=self.cfg.workers, collate_fn=collate_images, drop_last=True,
                          pin_memory=self.device.type == "cuda", persistent_workers=False)

    def fit(self) -> list[dict]:
        """Train up to ``cfg.epochs``; returns the log rows."""
        if self.rank != 0:
            return self._fit()
        with FolderLock(self.run_dir, "run folder"):
            if self.resuming:
                remove_orphans(self.run_dir)
            else:
                self._claim_folder()
            cfg_json = json.dumps(asdict(self.cfg), indent=2)
            atomic_write(self.run_dir / "config.json", lambda tmp: Path(tmp).write_text(cfg_json))
            return self._fit()

    def _claim_folder(self) -> None:
        existing = contents(self.run_dir)
        if existing and not self.overwrite:
            raise ValueError(f"run folder {self.run_dir} is not empty ({', '.join(existing[:3])}"
                             f"{', ...' if len(existing) > 3 else ''}): continue its run with --resume, or pass "
                             f"--overwrite to replace it")
        for name in RUN_FILES:
            (self.run_dir / name).unlink(missing_ok=True)
        remove_orphans(self.run_dir)

    def _fit(self) -> list[dict]:
        while self.epoch < self.cfg.epochs:
            row = self._train_epoch()
            rngs = [_rng_state()]
            if self.world > 1:
                rngs = [None] * self.world
                dist.all_gather_object(rngs, _rng_state())
            if self.rank == 0:
                row.update(self._validate())
                self._check_model(row)
                self.history.append(row)
                self._save(row, rngs)
            self.epoch += 1
            if self.world > 1:
                dist.barrier()
        return self.history

    def _check_model(self, row: dict) -> None:
        """Stop, before anything is written, if validation or the weights are not finite."""
        bad = {k: v for k, v in row.items() if k.startswith("val_") and not math.isfinite(v)}
        if bad:
            labels = {f"val_{m.key}": m.label for m in METRICS}
            self._stop(f"validation {', '.join(f'{labels.get(k, k)} {v}' for k, v in bad.items())} after epoch "
                       f"{self.epoch + 1}")
        bad = next((n for n, t in self.model.state_dict().items()
                    if t.is_floating_point() and not torch.isfinite(t).all()), None)
        if bad is not None:
            self._stop(f"non-finite weights ({bad}) after epoch {self.epoch + 1}")

    def _train_epoch(self) -> dict:
        cfg, model, disc = self.cfg, self.ddp, self.disc
        model.train(), disc.train()
        if self.reception:  # frozen transmitter, and the decoder's BatchNorm keeps its statistics (updated on
            # batches of mixed clean and corrupted receptions they drift from what validation sees: measured)
            self.model.encoder.eval(), self.model.embedding_spaces.eval()
            for m in self.model.decoder.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.eval()
        sums, n_images, skipped, t0 = {}, 0, 0, time.perf_counter()
        bar = tqdm(self._loader(self.epoch), desc=f"epoch {self.epoch + 1}/{cfg.epochs}", disable=self.rank != 0,
                   leave=False, dynamic_ncols=True)
        for images, n_skipped in bar:
            skipped += n_skipped
            if len(images) == 0:
                continue
            images = images.to(self.device, non_blocking=True)
            if cfg.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            lr = self._set_lr()
            terms = self.train_step(model, disc, images)
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + v * len(images)
            n_images += len(images)
            self.step += 1
            bar.set_postfix(loss=f"{terms['loss_g']:.3f}", img_s=f"{n_images * self.world / (time.perf_counter() - t0):.1f}")
        if n_images == 0:
            raise ValueError("no readable training images in a full batch: lower --batch-size or check the data")
        row = {"epoch": self.epoch + 1, "step": self.step, "lr": lr,
               "images": n_images * self.world, "skipped": skipped, "seconds": round(time.perf_counter() - t0, 2)}
        row.update({k: v / n_images for k, v in sums.items()})
        return row

    def train_step(self, model, disc, images) -> dict:
        """One generator and one discriminator update on ``images``; returns the loss terms."""
        cfg = self.cfg
        with torch.autocast(self.device.type, torch.bfloat16, enabled=cfg.bf16):
            out = model(images) if self.reception is None else self._received(images)
            x_hat = out["x_hat"].float()
            fake_logits = None
            if cfg.gan_weight > 0:
                disc.requires_grad_(False)
                fake_logits = disc(x_hat)
                disc.requires_grad_(True)
        losses = self.criterion(out, images, fake_logits)  # in float32 (SSIM's variances underflow in bf16)
        self._check_finite(losses["loss"], "generator")
        self.opt_g.zero_grad(set_to_none=True)
        losses["loss"].backward()
        self.opt_g.step()
        terms = {"loss_g": losses.pop("loss").item(), **{k: v.item() for k, v in losses.items()}}
        if cfg.gan_weight > 0:
            with torch.autocast(self.device.type, torch.bfloat16, enabled=cfg.bf16):
                loss_d = discriminator_loss(disc(images), disc(x_hat.detach()))
            self._check_finite(loss_d, "discriminator")
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self._average_disc_gradients()
            self.opt_d.step()
            terms["loss_d"] = loss_d.item()
        for i, l in enumerate(self.model.preset.transmitted if out.get("usage") else ()):
            terms[f"usage_{l + 1}"] = out["usage"][i].item()
            terms[f"perplexity_{l + 1}"] = out["perplexity"][i].item()
        return terms

    def _received(self, images: Tensor) -> dict:
        """The decoder's output on a (simulated) reception of ``images``' indices (``--channel-errors``,
        ``--decoder-tail``)."""
        with torch.no_grad():
            features = self.reception(self.model, self.transmitter.encode(images))
        zero = images.new_zeros(())
        return {"x_hat": self.model.decode_features(features), "codebook_loss": zero, "commitment_loss": zero}

    def _average_disc_gradients(self) -> None:
        """The discriminator runs in two graphs per step, so it is not DDP-wrapped: average its gradients here."""
        if self.world > 1:
            for p in self.disc.parameters():
                if p.grad is not None:
                    dist.all_reduce(p.grad)
                    p.grad /= self.world

    def _check_finite(self, loss, name) -> None:
        if not torch.isfinite(loss):
            self._stop(f"non-finite {name} loss at epoch {self.epoch + 1}, step {self.step}")

    def _stop(self, what: str) -> None:
        """``TrainingError``: the model diverged; the files on disk are those of the last finite epoch."""
        last = self.run_dir / "checkpoint.pt"
        kept = (f"the last good checkpoint is {last} (epoch {self.epoch})" if last.exists() and self.epoch > 0
                else "nothing was saved")
        raise TrainingError(f"{what}: the model diverged and training stopped; {kept}; try a lower --lr")

    @torch.no_grad()
    def _validate(self) -> dict:
        """Error-free validation: ``val_<key>`` for every metric of :data:`~vqdeepsc.metrics.METRICS` defined at the
        validation crop; with ``--channel-errors`` also ``val_<select>_errors``, the selected metric with bit errors
        at ``VAL_BER`` (the same flips every epoch). An analog model is validated through AWGN at each SNR of its
        preset's ``val_snr_db`` (the same noise every epoch), the metrics averaged over the SNRs."""
        self.model.eval()
        loader = DataLoader(self.val_set, 16, num_workers=self.cfg.workers, collate_fn=collate_images,
                            generator=torch.Generator())  # leaves the global RNG (and so resume) untouched
        flips = torch.Generator(self.device).manual_seed(0)
        metric = get_metric(self.cfg.select)
        scores, errors = {}, []
        for images, _ in loader:
            if len(images):
                images = images.to(self.device)
                if self.analog:
                    outputs = [self.model.transmit(images, AWGN(), snr, flips) for snr in self.model.preset.val_snr_db]
                else:
                    indices = self.transmitter.encode(images)
                    outputs = [self.model.decode(indices)]
                for x_hat in outputs:
                    for key, values in image_scores(x_hat.float(), images).items():
                        scores.setdefault(key, []).extend(values)
                if self.cfg.channel_errors:
                    x_err = self.model.decode_features(hard_errors(self.model, indices, VAL_BER, flips)).float()
                    errors.extend(metric(x_err.cpu(), images.cpu()).tolist())
        row = {f"val_{key}": sum(values) / len(values) for key, values in scores.items()}
        return {**row, f"val_{metric.key}_errors": sum(errors) / len(errors)} if errors else row

    def score(self, row: dict) -> float:
        """What the best checkpoint maximises: the validation value of the metric ``select`` names (negated for a
        distance), with errors when training for them (a robust receiver uses this decoder only for frames with a
        failed codeword)."""
        metric = get_metric(self.cfg.select)
        value = row.get(f"val_{metric.key}_errors", row[f"val_{metric.key}"])
        return value if metric.higher_is_better else -value

    def _save(self, row: dict, rngs: list[dict]) -> None:
        record = dict(epoch=row["epoch"], select=self.cfg.select, data=self.cfg.data,
                      **{k: v for k, v in row.items() if k.startswith("val_")})
        files = [self.run_dir / "last.safetensors"]
        if self.score(row) > self.best_score:
            self.best_score = self.score(row)
            files.append(self.run_dir / "best.safetensors")
        save_model(self.model, *files, **record)
        state = {"format": CHECKPOINT_FORMAT, "config": json.dumps(asdict(self.cfg)),
                 "preset": json.dumps(self.model.preset.to_dict()), "epoch": self.epoch + 1,
                 "step": self.step, "best_score": self.best_score, "history": json.dumps(self.history), "rng": rngs,
                 "model": self.model.state_dict(), "disc": self.disc.state_dict(),
                 "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}
        save_checkpoint(state, self.run_dir / "checkpoint.pt")
        write_log(self.history, self.run_dir / "log.csv")
        if self.epoch + 1 >= self.cfg.epochs or time.monotonic() - self.curves_drawn_at >= CURVES_EVERY_S:
            from .plots import plot_training

            plot_training(self.history, self.run_dir / "curves.png")
            self.curves_drawn_at = time.monotonic()


def _stored_config(path: Path) -> dict:
    """The ``TrainConfig`` fields of a run's ``config.json``; ``ValueError`` if it is not one."""
    try:
        cfg = json.loads(path.read_text())
        TrainConfig(**cfg)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{path} is not the config.json of a vqdeepsc run ({e})") from None
    return cfg


def write_log(history: list[dict], path: Path) -> None:
    """The per-epoch log as CSV (rewritten whole, atomically, from the checkpoint's history)."""
    columns = list(dict.fromkeys(k for row in history for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns)
    writer.writeheader()
    writer.writerows(history)
    atomic_write(path, lambda tmp: Path(tmp).write_text(buf.getvalue()))
