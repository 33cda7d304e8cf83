#!/usr/bin/env bash
# Prints the distribution of keyscan's tonality (the "tonality" field) for noise against
# music, the numbers behind Tonality.threshold (Sources/Keyscan/Tonality.swift).
#   noise: white, pink and brown (FFmpeg's anoisesrc), 2 s to 10 min, −60 to 0 dBFS,
#          several seeds, made in a temporary folder
#   music: every folder given (default data/real data/bench data/agreement)
# Usage: tools/evaluation/tonality_calibration.sh [--keyscan BIN] [FOLDER...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
keyscan="$repo/.build/release/keyscan"
if [ "${1:-}" = "--keyscan" ]; then keyscan="$2"; shift 2; fi
[ $# -gt 0 ] || set -- "$repo/data/real" "$repo/data/bench" "$repo/data/agreement"

noise="$(mktemp -d)"
trap 'rm -rf "$noise"' EXIT
for color in white pink brown; do
    for amplitude in 1.0 0.1 0.001; do
        ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=color=$color:amplitude=$amplitude:duration=30:seed=3" \
            -c:a libmp3lame -b:a 192k "$noise/$color-$amplitude-30s.mp3"
    done
    for seed in 1 2 3 4 5 6; do
        ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=color=$color:amplitude=0.5:duration=2.05:seed=$seed" \
            "$noise/$color-2s-$seed.wav"
    done
    ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=color=$color:amplitude=0.5:duration=10:seed=9" "$noise/$color-10s.wav"
    ffmpeg -nostdin -v error -f lavfi -i "anoisesrc=color=$color:amplitude=0.5:duration=600:seed=9" -ac 2 \
        -c:a libmp3lame -b:a 128k "$noise/$color-10min.mp3"
done

summarise() {  # label, then keyscan's JSON on stdin
    python3 -c '
import json, sys
label, threshold = sys.argv[1], float(sys.argv[2])
results = json.load(sys.stdin)
values = sorted((r["tonality"], r["path"]) for r in results if "tonality" in r)
skipped = len(results) - len(values)
if not values:
    sys.exit(f"{label}: no results with a tonality")
v = [x for x, _ in values]
q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
# Noise should all be below the threshold, music all above: list the exceptions.
wrong = [p for x, p in values if (x >= threshold if label == "noise" else x < threshold)]
print(f"{label:12} n={len(v):4}  min {v[0]:.4f}  p5 {q(0.05):.4f}  median {q(0.5):.4f}  max {v[-1]:.4f}"
      f"  below {threshold}: {sum(x < threshold for x in v)}" + (f"  (no tonality: {skipped})" if skipped else ""))
for p in wrong[:10]:
    print(f"    on the wrong side: {p}")
' "$1" "$threshold"
}
threshold="$(sed -n 's/.*public static let threshold = \([0-9.]*\).*/\1/p' "$repo/Sources/Keyscan/Tonality.swift")"
"$keyscan" analyze "$noise" | summarise noise || true
for folder in "$@"; do
    "$keyscan" analyze "$folder" | summarise "$(basename "$folder")" || true
done
