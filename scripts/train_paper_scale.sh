#!/usr/bin/env bash
# Train paper-4, paper-3 and their upper bounds one after another (the paper's full-width networks), each in
# OUT/<preset>, with the fast recipe; extra arguments go to every `vqdeepsc train` (e.g. --device cuda --bf16).
# A suite that was killed continues where it stopped: a run with a checkpoint is resumed, a run killed before its
# first checkpoint is started again. README.md ("Paper scale on one GPU") gives the command and its FLOP budget.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 DATA OUT [vqdeepsc train flags ...]" >&2
    exit 2
fi
data=$1 out=$2
shift 2
for preset in ${PRESETS:-paper-4 paper-3 paper-4-upper paper-3-upper}; do
    run=$out/$preset
    if [ -f "$run/checkpoint.pt" ]; then
        vqdeepsc train --resume "$run"
    else
        vqdeepsc train --preset "$preset" --data "$data" --out "$run" --recipe fast --overwrite "$@"
    fi
done
