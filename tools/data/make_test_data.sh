#!/usr/bin/env bash
# Builds keyscan's test music under data/ (git-ignored) from ../shared's POP909, reproducibly:
#   data/agreement/   64 full songs with one key region (songs 001-100), 192 kb/s MP3, mixed
#                     soundfonts, drums on about half, random transposition; labels.tsv,
#                     renders.tsv, and reference.jsonl (the reference KeyNet's keys)
#   data/bench/       20 songs of 3-6 minutes (songs 101-200, MIDI 190-345 s), 192 kb/s MP3
#   data/bench-long/one-60min.mp3   the bench renders concatenated and cut at 60:00, 192 kb/s
#   data/bench-long/two-hours.mp3   with --two-hours only: the bench renders twice over, cut
#                     at 2:00:00, 192 kb/s (the peak-memory check in docs/benchmarks.md)
# Usage: tools/data/make_test_data.sh [--jobs N] [--two-hours]   (default 2 jobs, run under nice)
set -euo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
jobs=2
two_hours=0
while [ $# -gt 0 ]; do
    case "$1" in
        --jobs) jobs="$2"; shift 2 ;;
        --two-hours) two_hours=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument: $1" >&2; usage >&2; exit 64 ;;
    esac
done

repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
data="$repo/data"

nice -n 10 "$python" "$repo/tools/data/render_pop909.py" --songs 001-100 --count 64 --out "$data/agreement" \
    --transpose random --drums 0.5 --format mp3 --bitrate 192k --jobs "$jobs"

nice -n 10 "$python" "$repo/tools/data/render_pop909.py" --songs 101-200 --count 20 --out "$data/bench" \
    --min-seconds 190 --max-seconds 345 --transpose random --drums 0.5 --format mp3 --bitrate 192k --jobs "$jobs"

mkdir -p "$data/bench-long"
list="$data/bench-long/concat.txt"
: > "$list"
for f in "$data"/bench/*.mp3; do printf "file '%s'\n" "$f" >> "$list"; done
nice -n 10 ffmpeg -nostdin -loglevel error -y -f concat -safe 0 -i "$list" -t 3600 -map_metadata -1 \
    -fflags +bitexact -flags:a +bitexact -c:a libmp3lame -b:a 192k "$data/bench-long/one-60min.mp3"
rm -f "$list"

if [ "$two_hours" = 1 ]; then
    : > "$list"
    for _ in 1 2; do
        for f in "$data"/bench/*.mp3; do printf "file '%s'\n" "$f" >> "$list"; done
    done
    nice -n 10 ffmpeg -nostdin -loglevel error -y -f concat -safe 0 -i "$list" -t 7200 -map_metadata -1 \
        -fflags +bitexact -flags:a +bitexact -c:a libmp3lame -b:a 192k "$data/bench-long/two-hours.mp3"
    rm -f "$list"
fi

nice -n 10 "$python" "$repo/tools/common/keynet_reference.py" --workers "$jobs" "$data/agreement" \
    > "$data/agreement/reference.jsonl"
