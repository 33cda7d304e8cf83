#!/usr/bin/env bash
# Model 2.0's ablation: the same data budget, seed and schedule, one change at a time.
#   labels       renders with their exact labels only (model 1.0's recipe)
#   distill      + distillation from the reference KeyNet on renders and real audio
#   ssl          + self-supervision by transposition on real audio
#   all          labels + distillation + self-supervision (the candidate for shipping)
# Every run sees the same rendered rows and, where a run uses real audio, the same real rows;
# every run logs its agreement with the reference on the real validation packages each epoch.
# Runs are resumable (train_keynet.py --resume); a finished run is skipped.
# Usage: tools/training/ablation.sh [--epochs N] [--runs "all labels distill ssl"] [--parallel 2]
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
data="$repo/data"
teacher="${TEACHER:-$repo/../shared/reference/keynet.pt}"
epochs=16
runs="all labels distill ssl"
parallel=2
while [ $# -gt 0 ]; do
    case "$1" in
        --epochs) epochs="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --parallel) parallel="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 64 ;;
    esac
done
renders=("$data/train/features/features.tsv" "$data/train-mma/features/features.tsv")
real_train="$data/real-audio/features/train.tsv"
real_val="$data/real-audio/features/val.tsv"
for f in "${renders[@]}" "$real_train" "$real_val"; do
    [ -f "$f" ] || { echo "missing $f: run tools/data/make_training_data.sh and tools/data/make_real_audio.py" >&2; exit 66; }
done
common=(--epochs "$epochs" --patience 100 --threads 1 --seed 0 --real-val "$real_val" --reference "$teacher")

options() {
    case "$1" in
        labels) echo "" ;;
        distill) echo "--unlabeled $real_train --teacher $teacher --teacher-weight 1.0 --teacher-temperature 2" ;;
        ssl) echo "--unlabeled $real_train --ssl-weight 1.0" ;;
        all) echo "--unlabeled $real_train --teacher $teacher --teacher-weight 1.0 --teacher-temperature 2 --ssl-weight 1.0" ;;
        *) echo "unknown run: $1" >&2; exit 64 ;;
    esac
}

train_one() {
    local name="$1" run="$data/runs/ablation/$1"
    local resume=()
    [ -f "$run/last.pt" ] && resume=(--resume)
    # shellcheck disable=SC2046
    nice -n 15 "$python" "$repo/tools/training/train_keynet.py" train "${renders[@]}" --run "$run" "${resume[@]}" \
        "${common[@]}" $(options "$name") > "$run.log" 2>&1
    echo "$name: exit $? ($(tail -n 1 "$run.log"))"
}

mkdir -p "$data/runs/ablation"
active=0
for name in $runs; do
    train_one "$name" &
    active=$((active + 1))
    if [ "$active" -ge "$parallel" ]; then wait -n; active=$((active - 1)); fi
done
wait
