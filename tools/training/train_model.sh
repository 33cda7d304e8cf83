#!/usr/bin/env bash
# Trains, exports and calibrates the shipped model (Weights/README.md, "Recipe"): KeyNet nf 12
# on the rendered training sets with their exact labels, plus the unlabelled real recordings
# through distillation from the reference KeyNet and self-supervision by transposition (the
# "all" arm of ablation.sh, for longer). Resumable: rerun the same command after a stop.
#   1. train   data/runs/model-VERSION/ (best epoch by render-validation MIREX)
#   2. export  OUT (default Weights/keyscan.safetensors), checked against the checkpoint
#   3. calibrate the confidence temperature on the validation rows (the renders' validation
#      excerpts and data/validation-pop909's whole songs) and write it into OUT
# Needs tools/data/make_training_data.sh and tools/data/make_real_audio.py done first.
# Usage: tools/training/train_model.sh --version 2.0.0 [--epochs 20] [--out FILE] [--threads 1]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
data="$repo/data"
teacher="${TEACHER:-$repo/../shared/reference/keynet.pt}"
version=""
epochs=20
threads=1
out="$repo/Weights/keyscan.safetensors"
while [ $# -gt 0 ]; do
    case "$1" in
        --version) version="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 64 ;;
    esac
done
[ -n "$version" ] || { echo "usage: $0 --version X.Y.Z [--epochs N] [--out FILE] [--threads N]" >&2; exit 64; }
renders=("$data/train/features/features.tsv" "$data/train-mma/features/features.tsv")
real_train="$data/real-audio/features/train.tsv"
real_val="$data/real-audio/features/val.tsv"
for f in "${renders[@]}" "$data/validation-pop909/features/features.tsv" "$real_train" "$real_val" "$teacher"; do
    [ -f "$f" ] || { echo "missing $f: run tools/data/make_training_data.sh and tools/data/make_real_audio.py" >&2; exit 66; }
done

run="$data/runs/model-$version"
resume=()
[ -f "$run/last.pt" ] && resume=(--resume)
nice -n 10 "$python" "$repo/tools/training/train_keynet.py" train "${renders[@]}" --run "$run" "${resume[@]}" \
    --epochs "$epochs" --patience 100 --threads "$threads" --seed 0 \
    --unlabeled "$real_train" --teacher "$teacher" --teacher-weight 1.0 --teacher-temperature 2 --ssl-weight 1.0 \
    --real-val "$real_val" --reference "$teacher"
"$python" "$repo/tools/training/train_keynet.py" export --run "$run" --out "$out" --version "$version"
"$python" "$repo/tools/training/calibrate.py" --model "$out" --fit "${renders[@]}" "$data/validation-pop909/features/features.tsv" \
    --heldout "$data/heldout-pop909/features/features.tsv" "$data/heldout-mma/features/features.tsv" \
    --real "$real_val" --reference "$teacher" --write --json "$run/calibration.json"
