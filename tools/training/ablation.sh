#!/usr/bin/env bash
# Ablations: the same data budget, seed and schedule, one change at a time.
# Model 2.0 (from scratch, --epochs 16):
#   labels       renders with their exact labels only (model 1.0's recipe)
#   distill      + distillation from the reference KeyNet on renders and real audio
#   ssl          + self-supervision by transposition on real audio
#   all          labels + distillation + self-supervision (model 2.0's recipe)
# Model 2.1 (fine-tuning --init WEIGHTS, model 2.0.0, with all's objectives, --epochs 8):
#   finetune     all's objectives on the fast front end's features, nothing else new
#   columns      + local key supervision: each column against its key, synthetic modulations
#                (--splice 0.25)
#   local        + the excerpts spanning POP909's annotated key changes (data/train-modulations)
# Model 2.1 from scratch (no --init; --epochs 20, as model 2.0.0 was trained):
#   scratch      all's objectives + local's: every column supervised from the first step
# Every run sees the same rendered rows (and the modulation excerpts only where named) and,
# where a run uses real audio, the same real rows; every run logs its agreement with the
# reference on the real validation packages each epoch. Runs are resumable
# (train_keynet.py --resume); a finished run is skipped. --seed S puts runs in NAME-seedS.
# Usage: tools/training/ablation.sh [--epochs N] [--runs "all labels distill ssl"] [--parallel 2]
#                                   [--init WEIGHTS] [--seed S]
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
data="$repo/data"
teacher="${TEACHER:-$repo/../shared/reference/keynet.pt}"
epochs=16
runs="all labels distill ssl"
parallel=2
init=""
seed=0
while [ $# -gt 0 ]; do
    case "$1" in
        --epochs) epochs="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --parallel) parallel="$2"; shift 2 ;;
        --init) init="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 64 ;;
    esac
done
renders=("$data/train/features/features.tsv" "$data/train-mma/features/features.tsv")
real_train="$data/real-audio/features/train.tsv"
real_val="$data/real-audio/features/val.tsv"
for f in "${renders[@]}" "$real_train" "$real_val"; do
    [ -f "$f" ] || { echo "missing $f: run tools/data/make_training_data.sh and tools/data/make_real_audio.py" >&2; exit 66; }
done
modulations="$data/train-modulations/features/features.tsv"
common=(--epochs "$epochs" --patience 100 --threads 1 --seed "$seed" --real-val "$real_val" --reference "$teacher")
semi="--unlabeled $real_train --teacher $teacher --teacher-weight 1.0 --teacher-temperature 2 --ssl-weight 1.0"
# Model 2.1's fine-tuning: a tenth of 2.0's peak learning rate, a short warm-up.
finetune="$semi --init $init --lr 3e-4 --warmup-epochs 0.5"
local_supervision="--column-weight 1.0 --boundary-margin 2 --splice 0.25"

options() {
    case "$1" in
        labels) echo "" ;;
        distill) echo "--unlabeled $real_train --teacher $teacher --teacher-weight 1.0 --teacher-temperature 2" ;;
        ssl) echo "--unlabeled $real_train --ssl-weight 1.0" ;;
        all) echo "$semi" ;;
        finetune) echo "$finetune" ;;
        columns) echo "$finetune $local_supervision" ;;
        local) echo "$finetune $local_supervision" ;;
        scratch) echo "$semi $local_supervision" ;;
        *) echo "unknown run: $1" >&2; exit 64 ;;
    esac
}

train_one() {
    local name="$1" run="$data/runs/ablation/$1"
    [ "$seed" = 0 ] || run="$run-seed$seed"
    case "$name" in
        finetune|columns|local) [ -f "$init" ] || { echo "$name needs --init WEIGHTS (model 2.0.0)" >&2; return 64; } ;;
    esac
    local rows=("${renders[@]}")
    case "$name" in
        local|scratch)
            [ -f "$modulations" ] || { echo "missing $modulations: tools/data/make_training_data.sh" >&2; return 66; }
            rows+=("$modulations") ;;
    esac
    local resume=()
    [ -f "$run/last.pt" ] && resume=(--resume)
    # shellcheck disable=SC2046
    nice -n 15 "$python" "$repo/tools/training/train_keynet.py" train "${rows[@]}" --run "$run" "${resume[@]}" \
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
