#!/usr/bin/env bash
# Train paper-4, paper-3 and their upper bounds (the paper's full-width networks), each in OUT/<preset>, with the
# fast recipe; extra arguments go to every `vqdeepsc train` (e.g. --device cuda --bf16). PARALLEL=1 trains them
# side by side on one GPU (each writes OUT/<preset>.log; the exit status is 1 if any failed), else one after
# another. PRESETS="..." picks other presets. A suite that was killed continues where it stopped: a run with a
# checkpoint is resumed, a run killed before its first checkpoint is started again. README.md ("Paper scale on
# one GPU") gives the command, its FLOP budget and the measured run.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: [PARALLEL=1] [PRESETS='paper-4 ...'] $0 DATA OUT [vqdeepsc train flags ...]" >&2
    exit 2
fi
data=$1 out=$2
shift 2

train() {  # train PRESET [flags ...]: start or resume OUT/PRESET
    local run=$out/$1
    if [ -f "$run/checkpoint.pt" ]; then
        vqdeepsc train --resume "$run"
    else
        vqdeepsc train --preset "$1" --data "$data" --out "$run" --recipe fast --overwrite "${@:2}"
    fi
}

presets=${PRESETS:-paper-4 paper-3 paper-4-upper paper-3-upper}
if [ "${PARALLEL:-0}" = 1 ]; then
    mkdir -p "$out"
    pids=()
    for preset in $presets; do
        train "$preset" "$@" > "$out/$preset.log" 2>&1 &
        pids+=($!)
    done
    status=0
    for pid in "${pids[@]}"; do
        wait "$pid" || status=1
    done
    exit $status
fi
for preset in $presets; do
    train "$preset" "$@"
done
