"""An evaluation's results: per-image records, their summary rows, the files of a results folder, and merging shards.

Every finished (channel, SNR) point of a sweep is one line of ``points.jsonl``, written at once (appended, flushed
and synced): for every method, each image's scores (every metric of :data:`~vqdeepsc.metrics.METRICS`) and its link counts, keyed by the images' indices in
the evaluated split. The rows of ``results.csv`` / ``results.json`` are made from those lines by :func:`summarise`
only, so a sweep resumed after a kill, or shards of the images run apart and merged (:func:`merge`), give the
rows of one uninterrupted run.

``points.jsonl``: the first line is the header (``kind: "header"``: the evaluation's ``config``, its
``settings``, the images' indices and names, and the noiseless per-image records of every method); each further
line a point (``kind: "point"``, ``channel``, ``snr_db``, ``records``: method -> per-image record).
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch

from .checkpoint import atomic_write
from .metrics import METRICS

FIELDS = ("preset", "method", "channel", "snr_db", "images", "ssim", "ssim_ci95", "psnr", "psnr_ci95", "ber", "bler",
          "frame_error_rate", "failure_rate", "quality", "excess_bits", "source_bits", "channel_symbols",
          *(f"{m.key}{ci}" for m in METRICS if m.key not in ("ssim", "psnr") for ci in ("", "_ci95")), "mcs")
"""Columns of ``results.csv`` (and keys of each row of ``results.json``): each metric's mean and 95 % CI half-width
(SSIM and PSNR first, as before the other metrics existed), the link's rates and the payloads; empty / null where
they do not apply (MS-SSIM on images under 97 pixels, a metric a results file made before it existed lacks);
``mcs``, the TS 38.214 index an adaptive link chose (empty on a fixed link)."""
RESULTS_FORMAT = "vqdeepsc-eval/1"
LIBRARIES = ("vqdeepsc", "torch", "sionna-no-rt", "ldpc", "pillow", "numpy", "pytorch-msssim", "pillow-heif")
POINTS_FILE = "points.jsonl"
RESULT_FILES = ("results.csv", "results.json", "table1.md", "grid.npz", POINTS_FILE)
"""The files an evaluation writes into its results folder."""
GRID_PARTS = "grid-points"
"""Sub-folder of the kept reconstructions of every finished point, until ``grid.npz`` is written."""
SUMS = {"ber": ("bit_errors", "num_bits"), "bler": ("codeword_errors", "num_codewords")}
"""Rates that are ratios of summed per-image counts."""
MEANS = ("frame_error_rate", "failure_rate", "quality", "excess_bits", "source_bits", "channel_symbols", "mcs")
"""Fields that are means of per-image values."""


def library_versions() -> dict:
    return {"python": platform.python_version(), **{name: version(name) for name in LIBRARIES}}


def mean_ci95(values) -> tuple[float, float]:
    """Mean and 95 % confidence half-width ``1.96 std / sqrt(n)`` (sample std; 0 for one value)."""
    values = torch.as_tensor(values, dtype=torch.float64)
    std = values.std().item() if values.numel() > 1 else 0.0
    return values.mean().item(), 1.96 * std / math.sqrt(values.numel())


def summarise(record: dict) -> dict:
    """A per-image record (lists of equal length: ``ssim``, ``psnr``, the other metrics' keys it has and any of the
    counts in :data:`SUMS` and the values in :data:`MEANS`) -> ``images``, each metric's mean and ``<key>_ci95``,
    and the rates and means it has."""
    row = {"images": len(record["ssim"])}
    for metric in METRICS:
        if metric.key in record:
            row[metric.key], row[f"{metric.key}_ci95"] = mean_ci95(record[metric.key])
    row.update({k: sum(record[a]) / sum(record[b]) for k, (a, b) in SUMS.items() if a in record and sum(record[b])})
    row.update({k: sum(record[k]) / len(record[k]) for k in MEANS if k in record})
    return row


def rows(header: dict, points: list[dict]) -> tuple[list[dict], dict]:
    """The result rows (keyed by :data:`FIELDS`, in the order of the points and the methods) and the noiseless
    summaries of a header and its points."""
    preset, methods = header["settings"]["preset"], header["settings"]["methods"]
    noiseless = {m: summarise(r) for m, r in header["noiseless"].items()}
    out = []
    for point in points:
        for method in methods:
            record = point["records"][method]  # empty: the method does not use the link (the upper bound)
            row = {**noiseless[method], **summarise(record)} if record else noiseless[method]
            row = {"preset": preset, "method": method, "channel": point["channel"], "snr_db": point["snr_db"], **row}
            out.append({k: row.get(k) for k in FIELDS})
    for summary in noiseless.values():
        summary.pop("images")
    return out, noiseless


class PointLog:
    """``points.jsonl`` of a results folder: :meth:`start` writes the header, :meth:`add` appends a finished
    point durably, :meth:`read` returns ``(header, points)`` (a torn last line, from a kill mid-write, is
    ignored)."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / POINTS_FILE

    def read(self) -> tuple[dict | None, list[dict]]:
        if not self.path.is_file():
            return None, []
        lines = []
        for text in self.path.read_text().splitlines():
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:
                break
        if not lines or lines[0].get("kind") != "header":
            raise ValueError(f"{self.path} is not an evaluation's point log")
        return lines[0], [p for p in lines[1:] if p.get("kind") == "point"]

    def start(self, header: dict) -> None:
        atomic_write(self.path, lambda tmp: Path(tmp).write_text(json.dumps({"kind": "header", **header}) + "\n"))

    def add(self, point: dict) -> None:
        with open(self.path, "rb+") as f:
            f.seek(f.read().rfind(b"\n") + 1)  # drop a torn last line before appending
            f.truncate()
            f.write((json.dumps({"kind": "point", **point}) + "\n").encode())
            f.flush()
            os.fsync(f.fileno())


def write_results(out: str | Path, result: dict, config: dict) -> None:
    """``results.csv``, ``results.json`` (with ``config``, completed by the evaluation's settings, and the
    noiseless scores) and, if kept, ``grid.npz``."""
    out = Path(out)

    def write_csv(tmp):
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(result["results"])

    atomic_write(out / "results.csv", write_csv)
    document = {"format": RESULTS_FORMAT, "config": {**config, **result["settings"]}, "noiseless": result["noiseless"],
                "results": result["results"]}
    atomic_write(out / "results.json", lambda tmp: Path(tmp).write_text(json.dumps(document, indent=1) + "\n"))
    if "grid" in result:
        def write_npz(tmp):
            with open(tmp, "wb") as f:
                np.savez_compressed(f, meta=np.array(json.dumps(result["grid_meta"])), **result["grid"])

        atomic_write(out / "grid.npz", write_npz)


def read_results(path: str | Path) -> dict:
    """The document of a ``results.json`` (or of the folder holding one); ``ValueError`` if it is not one."""
    path = Path(path)
    path = path / "results.json" if path.is_dir() else path
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"cannot read results {path}: {e}") from None
    if not isinstance(document, dict) or document.get("format") != RESULTS_FORMAT:
        raise ValueError(f"not a vqdeepsc eval results file: {path}")
    return document


RUN_FACTS = ("seconds", "resumed_points")
"""Config entries that describe one run, not the evaluation."""
SHARD_FACTS = ("shard", "files")
"""Config entries that differ between the shards of one evaluation."""
FREE_SETTINGS = ("batch", "decoder_workers", "scheme")
"""Settings that do not change the results (or repeat another in other words: ``scheme`` is ``link``'s): a sweep
may be resumed, or its shards run, with other values."""


def differences(a: dict, b: dict, config_ignored: tuple = (), settings_ignored: tuple = ()) -> list[str]:
    """The config and settings keys in which two point-log headers describe different evaluations (besides
    :data:`RUN_FACTS`, :data:`FREE_SETTINGS` and the keys ignored here)."""
    def differ(name, ignored):
        return [k for k in {**a[name], **b[name]} if k not in ignored and a[name].get(k) != b[name].get(k)]

    return differ("config", RUN_FACTS + config_ignored) + differ("settings", FREE_SETTINGS + settings_ignored)


def merge(folders: list[str | Path]) -> tuple[dict, list[dict], dict]:
    """The header and points of one evaluation from the point logs of its shards (``vqdeepsc eval --shard i/n``
    into each folder), and the merged config (``seconds``: the shards' time added up): ``ValueError`` unless every
    shard of one evaluation is there, finished, exactly once.

    :output: ``(header, points, config)``, the header's and points' records joined in image order.
    """
    logs = []
    for folder in folders:
        header, points = PointLog(folder).read()
        if header is None:
            raise ValueError(f"{folder} holds no {POINTS_FILE}: not an evaluation's results folder")
        logs.append((Path(folder), header, points))
    first = logs[0][1]
    for folder, header, _ in logs[1:]:
        mismatch = differences(first, header, SHARD_FACTS, ("images",))
        if mismatch:
            raise ValueError(f"{folder} is not a shard of the same evaluation as {logs[0][0]} (differs in "
                             f"{', '.join(mismatch)})")
    shards = sorted((h["config"].get("shard") or [0, 1], str(f)) for f, h, _ in logs)
    count = shards[0][0][1]
    if [s for s, _ in shards] != [[i, count] for i in range(count)]:
        raise ValueError(f"the folders hold shards {', '.join(f'{i}/{n}' for (i, n), _ in shards)}: need each of "
                         f"0/{count} .. {count - 1}/{count} exactly once")
    expected = len(first["settings"]["channels"]) * len(first["settings"]["snr_db"])
    for folder, _, points in logs:
        if len(points) != expected:
            raise ValueError(f"shard {folder} is unfinished ({len(points)} of {expected} points): resume it first")
    logs.sort(key=lambda log: log[1]["image_ids"][0])
    header = {**first, "image_ids": [i for _, h, _ in logs for i in h["image_ids"]],
              "files": [f for _, h, _ in logs for f in h["files"]],
              "noiseless": _join([h["noiseless"] for _, h, _ in logs])}
    keyed = [{(p["channel"], p["snr_db"]): p for p in points} for _, _, points in logs]
    points = [{**p, "records": _join([k[(p["channel"], p["snr_db"])]["records"] for k in keyed])} for p in logs[0][2]]
    config = {k: v for k, v in first["config"].items() if k not in SHARD_FACTS + RUN_FACTS}
    seconds = [read_results(f)["config"].get("seconds", 0) if (f / "results.json").is_file() else 0 for f, _, _ in logs]
    config.update(files=header["files"], shards=count, seconds=round(sum(seconds), 1))
    return header, points, config


def _join(parts: list[dict]) -> dict:
    """method -> per-image record of several shards (in the given order), concatenated field by field."""
    return {m: {k: [v for part in parts for v in part[m][k]] for k in parts[0][m]} for m in parts[0]}


FORMAT_HEADER = ("| preset | method | channel | Es/N0 (dB) | source bits / image | SSIM ± 95 % CI | PSNR (dB) ± 95 % CI "
                 "| MS-SSIM | PSNR Y / CbCr (dB) | CIEDE2000 | BER | codeword error rate | decode failures | quality |\n"
                 "|---|---|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")


def format_row(row: dict) -> str:
    """One markdown line of :data:`FORMAT_HEADER`."""
    from .senders import labels

    def num(key, spec):
        return "" if row.get(key) is None else format(row[key], spec)

    return (f"| {row['preset']} | {labels()[row['method']]} | {row['channel']} | {row['snr_db']:g} | "
            f"{num('source_bits', '.0f')} | {row['ssim']:.4f} ± {row['ssim_ci95']:.4f} | {row['psnr']:.2f} ± {row['psnr_ci95']:.2f} | "
            f"{num('ms_ssim', '.4f')} | {num('psnr_luma', '.2f')} / {num('psnr_chroma', '.2f')} | {num('ciede2000', '.2f')} | "
            f"{num('ber', '.2e')} | {num('bler', '.3f')} | {num('failure_rate', '.3f')} | {num('quality', '.1f')} |")


def save_grid_part(folder: str | Path, point: dict) -> None:
    """Keep a finished point's reconstructions (``point["grid"]``) until the sweep writes ``grid.npz``."""
    path = Path(folder) / GRID_PARTS / f"{point['channel']}_{point['snr_db']:g}.npz"
    path.parent.mkdir(exist_ok=True)

    def write(tmp):
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **point["grid"])

    atomic_write(path, write)


def load_grid_part(folder: str | Path, point: dict) -> dict:
    """``point`` with the reconstructions :func:`save_grid_part` kept (``ValueError`` if they are missing)."""
    path = Path(folder) / GRID_PARTS / f"{point['channel']}_{point['snr_db']:g}.npz"
    if not path.is_file():
        raise ValueError(f"the kept reconstructions of a finished point are missing: {path}")
    with np.load(path) as parts:
        return {**point, "grid": {m: parts[m] for m in parts.files}}
