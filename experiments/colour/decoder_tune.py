"""Fine-tune the whole decoder of a model on error-free receptions (the encoder and codebooks stay): `vqdeepsc train
--channel-errors` with every reception clean. Without ``--live`` the indices are those the source model sends (its
closed-loop choice reads the source's decoder), though the saved model's own closed loop reads the new decoder and
so chooses other indices; with ``--live`` (first argument) the choice reads the decoder as it learns. The package's
``vqdeepsc train --decoder-tail`` fine-tunes only the layers the closed loop never runs and so keeps the bits;
these are the variants it was compared with (``results/training/README.md``, "The decoder's tail").

    python experiments/colour/decoder_tune.py [--live] --preset small-4 --init-from MODEL --channel-errors 0.25 \
        --lab-weight 1 --lr 5e-4 --epochs 8 --data ../shared/data --out RUN
    (then: python benchmarks/eval_error_free.py ../shared/data/val small-4 RUN/last.safetensors --paired)
"""

import sys

from vqdeepsc import train
from vqdeepsc.cli import main
from vqdeepsc.reception_model import SimulatedReception

if __name__ == "__main__":
    train.SimulatedReception = lambda max_ber: SimulatedReception(max_ber, clean=1.0)
    args = sys.argv[1:]
    if args[:1] == ["--live"]:
        args, init = args[1:], train.Trainer.__init__

        def live(self, *a, **k):
            init(self, *a, **k)
            self.transmitter = self.model

        train.Trainer.__init__ = live
    sys.exit(main(["train", *args]))
