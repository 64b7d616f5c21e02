#!/usr/bin/env bash
# The project's Fig. 3 on a whole split: each model, three channels, Es/N0 0-20 dB, every receiver, the upper bound
# and JPEG, run as LANES shards side by side (one process per core, one decoder process each), then merged.
#
#   scripts/eval_full_split.sh DATA OUT [extra vqdeepsc eval arguments, e.g. --grid 6]
#
# Writes OUT/<model>/ (results.csv, results.json, table1.md, points.jsonl, grid.npz) and keeps the shards in
# SHARDS (default runs/eval-shards) with one log each. Run it again after a kill: each shard resumes where it stopped.
# Environment: MODELS (shipped names or model files; default "small-4 small-3"), METHODS, LANES (default: the number
# of cores), SPLIT (default test).
set -euo pipefail
DATA=$1 OUT=$2
shift 2
MODELS=${MODELS:-small-4 small-3}
METHODS=${METHODS:-vq-hard,vq-soft,vq-robust-hard,vq-robust-soft,upper,jpeg}
LANES=${LANES:-$(nproc)}
SHARDS=${SHARDS:-runs/eval-shards}
mkdir -p "$SHARDS"
start=$(date +%s)
pids=()
for lane in $(seq 0 $((LANES - 1))); do
    (
        for model in $MODELS; do
            folder=$SHARDS/$(basename "$model" .safetensors)-$lane
            resume=()
            # a resumed shard appends to its log; a new one starts it
            [ -f "$folder/points.jsonl" ] && resume=(--resume) || : > "$folder.log"
            OMP_NUM_THREADS=1 vqdeepsc eval --model "$model" --data "$DATA" --split "${SPLIT:-test}" \
                --methods "$METHODS" --shard "$lane/$LANES" --decoder-workers 1 --no-progress --out "$folder" \
                "${resume[@]}" "$@" >> "$folder.log" 2>&1
            echo "$model shard $lane/$LANES: $(( $(date +%s) - start )) s"
        done
    ) &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if [ "$failed" = 1 ]; then
    echo "a shard failed: see $SHARDS/*.log; run the same command again to resume" >&2
    exit 1
fi
for model in $MODELS; do
    name=$(basename "$model" .safetensors)
    vqdeepsc merge "$SHARDS/$name"-*/ --out "$OUT/$name" --overwrite
done
echo "wall time: $(( $(date +%s) - start )) s for $MODELS on $LANES lanes"
