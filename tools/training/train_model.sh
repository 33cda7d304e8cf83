#!/usr/bin/env bash
# Trains, exports, calibrates and tunes the shipped model (Weights/README.md, "Recipe"), model 2.1:
# KeyNet nf 12 fine-tuned from model 2.0.0 (--init) on the fast front end's features, with 2.0's
# objectives (the rendered sets' exact labels; the real training recordings through distillation
# from the reference KeyNet and self-supervision by transposition) plus local key supervision:
# every column against the key at its centre, synthetic modulations, and the excerpts spanning
# POP909's annotated key changes (the "local" arm of ablation.sh). Resumable: rerun the same
# command after a stop.
#   1. train     data/runs/model-VERSION/ (best epoch by render-validation MIREX)
#   2. export    OUT (default Weights/keyscan.safetensors), checked against the checkpoint
#   3. calibrate the confidence temperature on the validation rows (the renders' validation
#                excerpts and data/validation-pop909's whole songs) and write it into OUT
#   4. timeline  the key-change cost on the validation songs (data/timeline-validation, rendered by
#                tools/evaluation/render_timeline.py --validation): the lowest of PENALTIES that
#                keeps every single-key validation song in one segment, written into OUT
# Needs tools/data/make_training_data.sh, tools/data/make_real_audio.py and the validation
# timeline renders done first, and a release build (.build/release/keyscan).
# Usage: tools/training/train_model.sh --version 2.1.0 --init MODEL-2.0.0.safetensors
#                                      [--epochs 8] [--out FILE] [--threads 1]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
data="$repo/data"
teacher="${TEACHER:-$repo/../shared/reference/keynet.pt}"
keyscan="$repo/.build/release/keyscan"
version=""
init=""
epochs=8
threads=1
out="$repo/Weights/keyscan.safetensors"
penalties=(32 48 64 96 128 192 256)
while [ $# -gt 0 ]; do
    case "$1" in
        --version) version="$2"; shift 2 ;;
        --init) init="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 64 ;;
    esac
done
[ -n "$version" ] && [ -n "$init" ] || {
    echo "usage: $0 --version X.Y.Z --init MODEL-2.0.0.safetensors [--epochs N] [--out FILE] [--threads N]" >&2
    echo "  (model 2.0.0: git show da490ab:Weights/keyscan.safetensors > model-2.0.0.safetensors)" >&2
    exit 64
}
renders=("$data/train/features/features.tsv" "$data/train-mma/features/features.tsv"
         "$data/train-modulations/features/features.tsv")
real_train="$data/real-audio/features/train.tsv"
real_val="$data/real-audio/features/val.tsv"
for f in "${renders[@]}" "$data/validation-pop909/features/features.tsv" "$real_train" "$real_val" "$teacher" \
         "$init" "$data/timeline-validation/regions.tsv" "$keyscan"; do
    [ -f "$f" ] || { echo "missing $f: see Weights/README.md, \"Recipe\"" >&2; exit 66; }
done

run="$data/runs/model-$version"
resume=()
[ -f "$run/last.pt" ] && resume=(--resume)
nice -n 10 "$python" "$repo/tools/training/train_keynet.py" train "${renders[@]}" --run "$run" "${resume[@]}" \
    --epochs "$epochs" --patience 100 --threads "$threads" --seed 0 \
    --unlabeled "$real_train" --teacher "$teacher" --teacher-weight 1.0 --teacher-temperature 2 --ssl-weight 1.0 \
    --init "$init" --lr 3e-4 --warmup-epochs 0.5 --column-weight 1.0 --boundary-margin 2 --splice 0.25 \
    --real-val "$real_val" --reference "$teacher"
"$python" "$repo/tools/training/train_keynet.py" export --run "$run" --out "$out" --version "$version"
"$python" "$repo/tools/training/calibrate.py" --model "$out" --fit "${renders[@]:0:2}" "$data/validation-pop909/features/features.tsv" \
    --heldout "$data/heldout-pop909/features/features.tsv" "$data/heldout-mma/features/features.tsv" \
    --real "$real_val" --reference "$teacher" --write --json "$run/calibration.json"
"$python" "$repo/tools/evaluation/timeline.py" --keyscan "$keyscan" --model "$out" --resolution 16 \
    --penalty "${penalties[@]}" --choose --json "$run/timeline-validation.json" "$data/timeline-validation" \
    | tee "$run/timeline-validation.md"
penalty="$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["chosen"]["penalty"])' "$run/timeline-validation.json")"
"$python" "$repo/tools/training/set_metadata.py" "$out" "timeline_switch_penalty=$penalty"
