#!/usr/bin/env bash
# Builds KeyNet's training and held-out data under data/ (git-ignored) from ../shared's POP909,
# Debian's soundfonts and MMA's grooves, reproducibly (fixed seeds; the split is tools/data/splits.py):
#   data/train-mma/        480 MMA excerpts, 20 per key, training grooves, augmented, FLAC
#   data/heldout-mma/      240 MMA excerpts, 10 per key, held-out grooves, 192 kb/s MP3
#   data/heldout-pop909/   the 130 songs of 001-160 with one key region, full, 192 kb/s MP3
#   data/train/            POP909 161-700: 1516 excerpts of 45 s, 2 renders a major key region
#                          and as many minor excerpts, keys balanced, augmented, FLAC (5 % validation)
#   data/validation-pop909/ the 22 validation songs of 161-700 with one key region, full, training
#                          soundfonts and programs, 192 kb/s MP3: they fit the confidence temperature
#   data/train-modulations/ 303 excerpts of 60 s spanning the 101 key changes of the training songs
#                          (3 renders each, augmented, FLAC) with regions.tsv: where each key holds
# Each set gets labels.tsv, features/*.npy (keyscan features) and features/features.tsv;
# data/features.tsv indexes every set. Reruns skip what is already rendered, so an interrupted
# run resumes. Ends with a summary (files per key and mode, hours, disk use, time per step).
# Usage: tools/data/make_training_data.sh [--jobs N] [--sets "train-mma ..."] [--renders N] [--out DIR] [--smoke]
#   --jobs N    renders and feature extractions at once (default 2); everything runs under nice
#   --sets S    only these sets (default: all six, in the order above)
#   --renders N renders per major key region of data/train (default 2; model 2.1 was fine-tuned on 1:
#               758 excerpts, 9.5 h)
#   --out DIR   where the sets go (default data/)
#   --smoke     a few files per set (4 MMA excerpts, 2 songs), to check the tools end to end
set -uo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
jobs=2
renders=2
sets="train-mma heldout-mma heldout-pop909 train validation-pop909 train-modulations"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
data="$repo/data"
smoke_mma=()
smoke_pop=()
while [ $# -gt 0 ]; do
    case "$1" in
        --jobs) jobs="$2"; shift 2 ;;
        --sets) sets="$2"; shift 2 ;;
        --renders) renders="$2"; shift 2 ;;
        --out) data="$2"; shift 2 ;;
        --smoke) smoke_mma=(--count 4); smoke_pop=(--count 2 --renders 1); shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 64 ;;
    esac
done

python="${PYTHON:-$repo/.venv/bin/python}"
keyscan="$repo/.build/release/keyscan"
export OMP_NUM_THREADS=1

for tool in fluidsynth ffmpeg sox mma; do
    command -v "$tool" > /dev/null || { echo "$tool not found: apt-get install -y fluidsynth ffmpeg sox mma" >&2; exit 69; }
done
if [ ! -x "$keyscan" ]; then
    echo "building keyscan (swift build -c release)" >&2
    (cd "$repo" && nice -n 10 swift build -c release) || exit 70
fi

status=0
timings=""
step() {  # step NAME COMMAND...: run one step, time it, remember a failure and go on
    local name="$1"; shift
    local start=$SECONDS
    echo "=== $name: $*" >&2
    if ! nice -n 10 "$@"; then
        echo "=== $name FAILED (rerun to retry what is missing)" >&2
        status=1
    fi
    timings+="$(printf '%-28s %5d s' "$name" $((SECONDS - start)))"$'\n'
}

for set in $sets; do
    case "$set" in
        train-mma) step "render train-mma" "$python" "$repo/tools/data/render_mma.py" --set train --out "$data/train-mma" --jobs "$jobs" "${smoke_mma[@]}" ;;
        heldout-mma) step "render heldout-mma" "$python" "$repo/tools/data/render_mma.py" --set heldout --out "$data/heldout-mma" --jobs "$jobs" "${smoke_mma[@]}" ;;
        heldout-pop909) step "render heldout-pop909" "$python" "$repo/tools/data/render_training.py" --set heldout --out "$data/heldout-pop909" --jobs "$jobs" "${smoke_pop[@]:0:2}" ;;
        validation-pop909) step "render validation-pop909" "$python" "$repo/tools/data/render_training.py" --set validation --out "$data/validation-pop909" --jobs "$jobs" "${smoke_pop[@]:0:2}" ;;
        train-modulations) step "render train-modulations" "$python" "$repo/tools/data/render_modulations.py" --out "$data/train-modulations" --jobs "$jobs" "${smoke_pop[@]}" ;;
        train) step "render train" "$python" "$repo/tools/data/render_training.py" --set train --out "$data/train" --renders "$renders" --jobs "$jobs" "${smoke_pop[@]}" ;;
        *) echo "unknown set: $set" >&2; exit 64 ;;
    esac
    [ -f "$data/$set/labels.tsv" ] && step "features $set" "$python" "$repo/tools/data/extract_features.py" --jobs "$jobs" \
        --keyscan "$keyscan" "$data/$set"
done

dirs=()
for set in $sets; do dirs+=("$data/$set"); done
echo
"$python" "$repo/tools/data/data_summary.py" "${dirs[@]}"
echo
echo "time per step:"
printf '%s' "$timings"
exit $status
