"""``vqdeepsc budget``: the paper's Table I for a preset."""

import json

HELP = "print the bit budget of a preset (the paper's Table I)"


def add_arguments(parser):
    parser.add_argument("--preset", required=True, help="preset name, e.g. paper-4, paper-3, small-4")
    parser.add_argument("--size", type=int, nargs=2, default=(128, 128), metavar=("H", "W"), help="image size")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def run(args):
    from ..budget import bit_budget, format_budget
    from ..config import get_preset

    budget = bit_budget(get_preset(args.preset), *args.size)
    print(json.dumps(budget) if args.json else format_budget(budget))
