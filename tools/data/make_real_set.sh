#!/usr/bin/env bash
# Builds data/real/: links to the real recordings (at least 30 s) in the Debian packages the
# model may meet for evaluation without labels (tools/evaluation/evaluate --unlabeled data/real).
# Installs the packages if missing (needs root or sudo).
# Usage: tools/data/make_real_set.sh [--out DIR]
set -euo pipefail
out="$(cd "$(dirname "$0")/../.." && pwd)/data/real"
[ "${1:-}" = "--out" ] && out="$2"
packages=(singularity-music drascula-music asc-music planetblupi-music-ogg boswars-data pushover-data)
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
mkdir -p "$out"
for p in "${packages[@]}"; do dpkg -L "$p"; done | grep -E '\.(ogg|mp3|flac|wav|opus)$' | sort | while read -r f; do
    seconds=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" 2>/dev/null | cut -d. -f1)
    if [ -n "$seconds" ] && [ "$seconds" -ge 30 ]; then
        ln -sf "$f" "$out/$(echo "${f#/usr/share/}" | tr '/' '_')"
    fi
done
echo "$(ls "$out" | wc -l) recordings in $out"
