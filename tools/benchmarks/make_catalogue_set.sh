#!/usr/bin/env bash
# Builds data/catalogue/: links to N distinct real recordings (default 120, at least 30 s
# each) from the Debian packages whose music keyscan may use (0ad-data: its music folder
# only), for the Ray benchmark. Distinct by real path: packages link the same file under
# several names (data/real holds 207 links but 67 files), and keyscan analyze would analyze
# such a file once where a runner given every name analyzes it each time.
# Usage: tools/benchmarks/make_catalogue_set.sh [N]   (the packages must be installed)
set -euo pipefail
count="${1:-120}"
out="$(cd "$(dirname "$0")/../.." && pwd)/data/catalogue"
packages=(singularity-music drascula-music asc-music planetblupi-music-ogg fretsonfire-songs-muldjord
          boswars-data pushover-data colobot-common-sounds supertux-data flare-game openclonk-data
          marsshooter-data lincity-ng-data scorched3d-data powermanga-data freeorion-data tuxfootball
          warmux-data lugaru-data 0ad-data)
list="$(mktemp)"
trap 'rm -f "$list"' EXIT
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || { echo "$p is not installed" >&2; exit 1; }
    dpkg -L "$p" | grep -E '\.(ogg|mp3|flac|wav|opus)$' | { if [ "$p" = 0ad-data ]; then grep '/audio/music/' || true; else cat; fi } || true
done | while read -r f; do [ -f "$f" ] && realpath "$f" || true; done | sort -u |
    # Sound effects are most files and short: 400 KB or more is worth probing for 30 s.
    while read -r f; do [ "$(stat -c %s "$f")" -ge 400000 ] && echo "$f" || true; done > "$list"
total=$(wc -l < "$list")
rm -rf "$out"
mkdir -p "$out"
# Candidates spread evenly over the sorted list, so that every package is represented; the
# first COUNT of them that last at least 30 s are kept.
awk -v n="$((count * 3))" -v t="$total" 'NR == 1 || int((NR - 1) * n / t) != int((NR - 2) * n / t)' "$list" |
while read -r f; do
    seconds=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" 2>/dev/null | cut -d. -f1)
    if [ -n "$seconds" ] && [ "$seconds" -ge 30 ]; then echo "$f"; fi
done | awk -v n="$count" -v t="$count" '{ print }' > "$list.long"
kept=$(wc -l < "$list.long")
[ "$kept" -ge "$count" ] || { echo "only $kept of $total recordings sampled last 30 s or more" >&2; rm -f "$list.long"; exit 1; }
awk -v n="$count" -v t="$kept" 'NR == 1 || int((NR - 1) * n / t) != int((NR - 2) * n / t)' "$list.long" | head -n "$count" |
while read -r f; do ln -s "$f" "$out/$(echo "${f#/usr/share/}" | tr '/' '_')"; done
rm -f "$list.long"
echo "$(ls "$out" | wc -l) distinct recordings of $total in $out"
