"""The ``vqdeepsc`` command line: one sub-command per module under ``vqdeepsc.commands``.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args)``, and may define
``resume_hint(args)``, what to do after an interruption.
A ``ValueError`` or ``OSError`` raised by a command is a user error: it is printed as one
line ``vqdeepsc <command>: error: ...`` and the exit status is 2, without a traceback. Ctrl-C (SIGINT) and SIGTERM
stop a command with one line (and its resume hint), exit status 130; a warning is one line naming its cause.
"""

from __future__ import annotations

import argparse
import importlib
import re
import signal
import sys
import threading
import warnings

COMMANDS = ("demo", "budget", "link", "mcs", "train", "eval", "merge", "plot", "send", "encode", "decode", "relabel", "calibrate")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``vqdeepsc <command>: error: ... (see --help)``, without the usage block; values
    that start with a minus sign, such as ``--snr -4:20:2`` or ``--snr -4,0``, are values, not options."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\d*\.?\d+([:,]-?\d*\.?\d*)*$")

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="vqdeepsc", description="VQ-DeepSC digital semantic communication of images")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"vqdeepsc.commands.{name}")
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _parser=p, _resume_hint=getattr(module, "resume_hint", None))
    return parser


def bounded(low: float, high: float, kind=int):
    """An argparse ``type``: a number of ``kind`` in ``[low, high]``, refused before any work starts."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


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


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = f"vqdeepsc {args.command}"
    in_main_thread = threading.current_thread() is threading.main_thread()
    terminate = signal.signal(signal.SIGTERM, _raise_interrupt) if in_main_thread else None
    try:
        with warnings.catch_warnings():
            warnings.showwarning = lambda message, *_, **__: print(f"{name}: warning: {message}", file=sys.stderr)
            if getattr(args, "device", None):
                check_device(args.device)
            return args._run(args) or 0
    except (ValueError, OSError) as e:
        args._parser.exit(2, f"{name}: error: {e}\n")
    except KeyboardInterrupt:
        hint = args._resume_hint(args) if args._resume_hint else ""
        args._parser.exit(130, f"{name}: interrupted{'; ' + hint if hint else ''}\n")
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, terminate)


if __name__ == "__main__":
    sys.exit(main())
