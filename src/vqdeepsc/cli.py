"""The ``vqdeepsc`` command line: one sub-command per module under ``vqdeepsc.commands``.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args)``.
A ``ValueError`` or ``OSError`` raised by a command is a user error: it is printed as one
line ``vqdeepsc <command>: error: ...`` and the exit status is 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("demo", "budget", "link", "train", "eval", "merge", "plot", "send", "encode", "decode", "relabel")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vqdeepsc", description="VQ-DeepSC digital semantic communication of images")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"vqdeepsc.commands.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _parser=p)
    return parser


def check_device(name: str) -> None:
    """``ValueError`` in one line unless ``name`` is a torch device that exists on this machine."""
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ValueError(f"invalid device {name!r}: use cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} is not available: this machine or this PyTorch build has no CUDA GPU")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} is not available: {torch.cuda.device_count()} CUDA GPU(s)")
    elif device.type != "cpu":
        raise ValueError(f"device {name!r} is not supported: use cpu, cuda or cuda:N")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "device", None):
            check_device(args.device)
        return args._run(args) or 0
    except (ValueError, OSError) as e:
        args._parser.exit(2, f"vqdeepsc {args.command}: error: {e}\n")


if __name__ == "__main__":
    sys.exit(main())
