#!/usr/bin/env bash
# The Ray runner end to end, on a real Ray cluster of this machine (two CPUs, two workers):
# a few dozen synthesised files, bad ones among them, with a keyscan serve and then a whole
# actor killed mid-run. Checks that every file has exactly one row, that rows say what
# `keyscan analyze` says about the same files, and that a second run skips everything.
#
# Usage: tools/distributed/test_ray_runner.sh [KEYSCAN] [PYTHON]
#   KEYSCAN  the keyscan binary (default .build/debug/keyscan)
#   PYTHON   a Python with tools/distributed/requirements.txt (default .venv-ci/bin/python)
# .ci/run runs it after swift test. Takes about a minute; Ray's memory is kept small.
set -euo pipefail
cd "$(dirname "$0")/../.."
keyscan="$(realpath "${1:-.build/debug/keyscan}")"
python="$(realpath -s "${2:-.venv-ci/bin/python}")"
ray="$(dirname "$python")/ray"
runner="$PWD/tools/distributed/keyscan_ray.py"

# Short: Ray's socket paths must fit in 107 bytes.
work="$(mktemp -d /tmp/kray.XXXXXX)"
ray_pid=""
cleanup() {
    if [ -n "$ray_pid" ]; then
        # The head was started in a session of its own, and every Ray process (workers have
        # process groups of their own) stays in it: stop the head, then whatever is left of
        # that session.
        kill -TERM -- "-$ray_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$ray_pid" 2>/dev/null || break; sleep 0.2; done
        for pid in $(ps -o pid= -s "$ray_pid" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
    fi
    [ -n "${KEEP_WORK:-}" ] && echo "test_ray_runner: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

fail() { echo "test_ray_runner: FAIL: $*" >&2; exit 1; }

# --- the files: 30 chords in six containers, and bad input of every common kind ---------
music="$work/music"
mkdir -p "$music"
formats=(wav mp3 flac ogg m4a opus)
roots=(220.00 246.94 261.63 293.66 329.63 349.23 392.00 440.00 196.00 233.08)
for i in $(seq 0 29); do
    root=${roots[$((i % 10))]}
    # A major or minor triad: root, third (4 or 3 semitones), fifth.
    third=$([ $((i % 2)) -eq 0 ] && echo 1.25992 || echo 1.18921)
    ext=${formats[$((i % 6))]}
    ffmpeg -v error -f lavfi -i "aevalsrc=0.25*sin(2*PI*$root*t)+0.25*sin(2*PI*$root*$third*t)+0.25*sin(2*PI*$root*1.49831*t):s=44100:d=5" \
        "$music/chord $i.$ext"
done
printf 'not audio at all\n' > "$music/notes.mp3"
: > "$music/empty.wav"
head -c 3000 "$music/chord 1.mp3" > "$music/cut.mp3"
ffmpeg -v error -f lavfi -i "sine=f=440:d=0.5" "$music/short.wav"
ffmpeg -v error -f lavfi -i "anullsrc=r=44100:cl=mono" -t 4 "$music/silence.wav"
mkdir "$music/a folder.wav"

manifest="$work/manifest.txt"
{
    find "$music" -mindepth 1 -maxdepth 1 | sort
    echo "$music/not there.flac"
    echo "$music/chord 2.flac"  # the same file twice: one row
} > "$manifest"
files=$(sort -u "$manifest" | wc -l)
echo "test_ray_runner: $files files ($(wc -l < "$manifest") lines) in $manifest"

# --- the reference: keyscan analyze on the same files -----------------------------------
export XDG_CACHE_HOME="$work/cache"
# Ray keeps state in ~/.ray (an auth token a local ray.init leaves there breaks a later
# `ray start`): a home of the test's own.
export HOME="$work/home"
mkdir -p "$HOME"
"$keyscan" analyze --no-cache --format jsonl --quiet --files-from "$manifest" > "$work/analyze.jsonl" || [ $? -eq 1 ]

# --- a Ray cluster of this machine: head with 2 CPUs, small object store -----------------
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid "$ray" start --head --block --node-ip-address=127.0.0.1 --port="$port" --num-cpus=2 \
    --object-store-memory=100000000 --include-dashboard=false --disable-usage-stats \
    --temp-dir="$work/ray" > "$work/ray-start.log" 2>&1 &
ray_pid=$!
disown "$ray_pid"  # stopped by cleanup; no job report when it is killed
for _ in $(seq 120); do
    grep -q "Ray runtime started" "$work/ray-start.log" && break
    kill -0 "$ray_pid" 2>/dev/null || { cat "$work/ray-start.log" >&2; fail "ray start exited"; }
    sleep 0.5
done
grep -q "Ray runtime started" "$work/ray-start.log" || { cat "$work/ray-start.log" >&2; fail "ray start did not finish"; }

# --- first run: a keyscan serve and an actor killed mid-batch ---------------------------
out="$work/out"
mkdir "$work/kills"
status=0
KEYSCAN_RAY_TEST_KILL_DIR="$work/kills" RAY_DISABLE_USAGE_STATS=1 \
    "$python" "$runner" "$manifest" "$out" --workers 2 --address "127.0.0.1:$port" --keyscan "$keyscan" \
    --no-cache --batch-size 4 --rows-per-file 8 > "$work/run1.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || { tail -80 "$work/run1.log" >&2; fail "first run: exit status $status, expected 1 (some files fail)"; }
[ -d "$work/kills/serve" ] && [ -d "$work/kills/actor" ] || fail "the kills did not happen: $(ls "$work/kills")"
grep -q "keyscan_ray: $files rows written" "$work/run1.log" || { tail -30 "$work/run1.log" >&2; fail "first run: not $files rows"; }
grep -q "keyscan serve exited" "$work/run1.log" || { tail -30 "$work/run1.log" >&2; fail "no restart of the killed keyscan serve in the log"; }

# --- every file one row, as keyscan analyze says ---------------------------------------
"$python" - "$manifest" "$out" "$work/analyze.jsonl" "$("$keyscan" --version)" <<'EOF'
import json, sys
import pyarrow.dataset as ds
manifest, out, reference, version = sys.argv[1:]
paths = sorted(set(line.rstrip("\n") for line in open(manifest) if line.strip()))
rows = ds.dataset(out, format="parquet").to_table().to_pylist()
problems = []
by_path = {}
for row in rows:
    by_path.setdefault(row["path"], []).append(row)
for path in paths:
    if len(by_path.get(path, [])) != 1:
        problems.append(f"{path}: {len(by_path.get(path, []))} rows")
if set(by_path) - set(paths):
    problems.append(f"rows for files not in the manifest: {sorted(set(by_path) - set(paths))}")
expected = {}
for line in open(reference):
    result = json.loads(line)
    expected[result["path"]] = result
for path in paths:
    row, want = by_path.get(path, [None])[0], expected.get(path)
    if row is None:
        continue
    if want is None:
        # analyze searches a folder in its list; serve, given one path, says what it is.
        if not (path.endswith("a folder.wav") and row["error_code"] == "is_directory"):
            problems.append(f"{path}: no analyze result, row {row}")
        continue
    code = (want.get("error") or want.get("reason") or {}).get("code")
    got = (row["status"], row["key"], row["camelot"], row["openkey"], row["error_code"])
    wanted = (want["status"], want.get("key"), want.get("camelot"), want.get("openkey"), code)
    if got != wanted:
        problems.append(f"{path}: runner {got}, analyze {wanted}")
    if want["status"] == "ok" and abs(row["confidence"] - want["confidence"]) > 1e-4:
        problems.append(f"{path}: confidence {row['confidence']} vs {want['confidence']}")
    if row["keyscan_version"] != version or not (row["model"] or "").startswith("keyscan-pipeline-"):
        problems.append(f"{path}: version {row['keyscan_version']!r} (keyscan --version {version!r}), model {row['model']!r}")
statuses = {}
for row in rows:
    statuses[row["status"]] = statuses.get(row["status"], 0) + 1
print(f"test_ray_runner: {len(rows)} rows for {len(paths)} files: {statuses}")
if statuses.get("ok", 0) < 30 or statuses.get("error", 0) < 5 or statuses.get("no_key", 0) < 1:
    problems.append(f"expected 30 ok, 1 no_key and at least 5 errors, got {statuses}")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
EOF

# --- second run: nothing left to do -------------------------------------------------------
before=$(ls "$out" | sort)
status=0
RAY_DISABLE_USAGE_STATS=1 "$python" "$runner" "$manifest" "$out" --workers 2 --address "127.0.0.1:$port" \
    --keyscan "$keyscan" --no-cache > "$work/run2.log" 2>&1 || status=$?
[ "$status" -eq 0 ] || { cat "$work/run2.log" >&2; fail "second run: exit status $status"; }
grep -q "$files files in .*: $files done already, 0 to analyze" "$work/run2.log" || { cat "$work/run2.log" >&2; fail "second run did not skip everything"; }
[ "$(ls "$out" | sort)" = "$before" ] || fail "second run changed $out"
echo "test_ray_runner: ok (kills survived, one row per file, keys as keyscan analyze, second run skipped all)"
