#!/usr/bin/env bash
# The beets plugin end to end, through a real beets CLI: a temporary library of the demo
# files (one of them with a name that is not UTF-8, and one that stops being audio after
# the import), `beet keyscan` in every configuration, and each value read back through
# `beet ls` and from the files' own tags (mediafile, and ffprobe for the MP3).
# A `keyscan` on PATH that wraps the real one counts the runs and keeps what each printed.
#
# Usage: integrations/beets/test_beets.sh KEYSCAN PYTHON
#   KEYSCAN  the keyscan binary (e.g. .build/debug/keyscan)
#   PYTHON   the python of a venv with beets and pytest (integrations/beets/requirements-test.txt);
#            the plugin is pip-installed into it from integrations/beets
# .ci/run runs it after swift test. Takes 25-33 s on the busy 2-core CI VM (docs/beets.md).
# KEEP_WORK=1 keeps its temporary folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
keyscan="$(realpath "${1:?usage: $0 KEYSCAN PYTHON}")"
python="$(realpath -s "${2:?usage: $0 KEYSCAN PYTHON}")"
beet="$(dirname "$python")/beet"
demo="$PWD/tools/demo"
started=$(date +%s)

work="$(mktemp -d /tmp/kbeets.XXXXXX)"
cleanup() { [ -n "${KEEP_WORK:-}" ] && echo "test_beets: kept $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 143' TERM INT

passed=0
failures=()
pass() { passed=$((passed + 1)); echo "test_beets: ok: $*"; }
fail() { failures+=("$*"); echo "test_beets: FAIL: $*" >&2; }
# A failure that leaves nothing sensible to test afterwards.
abort() { fail "$*"; summary; }
summary() {
    echo "test_beets: $passed passed, ${#failures[@]} failed ($(($(date +%s) - started)) s, beets $("$python" -c 'import beets; print(beets.__version__)'))"
    for f in "${failures[@]}"; do echo "test_beets:   FAILED: $f" >&2; done
    [ "${#failures[@]}" -eq 0 ] && exit 0 || exit 1
}

# --- the plugin, installed from a copy so no build files land in the repository ---------
cp -r integrations/beets "$work/plugin-src"
"$python" -m pip install -q --disable-pip-version-check "$work/plugin-src" \
    || abort "pip install of integrations/beets failed"
[ -x "$beet" ] || abort "no beet beside $python"

# --- the plugin's pure parts (tests/test_keyscan.py), against the installed plugin -------
if PYTHONDONTWRITEBYTECODE=1 "$python" -m pytest -q -p no:cacheprovider integrations/beets/tests > "$work/pytest.log" 2>&1; then
    pass "pytest: $(tail -1 "$work/pytest.log")"
else
    cat "$work/pytest.log" >&2
    fail "pytest integrations/beets/tests"
fi

# --- keyscan on PATH: the real one, wrapped to count runs and keep their output -----------
runs="$work/runs"
mkdir -p "$work/bin" "$runs"
cat > "$work/bin/keyscan" <<EOF
#!/usr/bin/env bash
# Run n keeps its arguments in runs/n.args and its stdout in runs/n.jsonl.
set -o pipefail
n=\$(( \$(ls "$runs" | grep -c '\.args\$') + 1 ))
printf '%s\n' "\$@" > "$runs/\$n.args"
"$keyscan" "\$@" | tee "$runs/\$n.jsonl"
EOF
chmod +x "$work/bin/keyscan"
runs_count() { ls "$runs" | grep -c '\.args$' || true; }
export PATH="$work/bin:$PATH"
export XDG_CACHE_HOME="$work/cache"  # keyscan's result cache, empty at the start
export BEETSDIR="$work/beets"
mkdir -p "$BEETSDIR"

# notation, overwrite, auto, [bin]
configure() {
    cat > "$BEETSDIR/config.yaml" <<EOF
directory: $work/library
library: $work/beets/library.db
plugins: keyscan
import:
  copy: no
  write: yes
  quiet: yes
  duplicate_action: keep
keyscan:
  notation: $1
  overwrite: $2
  auto: $3
${4:+  bin: $4}
EOF
}

# The music: the four demo files, a copy of c-major under a name that is not UTF-8 (the
# plugin gives keyscan a symlink to it), broken.mp3 and silence.mp3, audio when imported
# (beets does not import what it cannot read), then text and 4 s of silence.
music="$work/music"
mkdir -p "$music"
cp "$demo"/a-minor.mp3 "$demo"/c-major.ogg "$demo"/e-flat-major.flac "$demo"/f-sharp-minor.m4a "$music/"
cp "$demo/c-major.ogg" "$music/$(printf 'c-major-caf\xe9.ogg')"
cp "$demo/a-minor.mp3" "$music/broken.mp3"
cp "$demo/a-minor.mp3" "$music/silence.mp3"

# What keyscan itself says about the demo files: the values beets must hold.
"$keyscan" analyze --no-cache --quiet --format jsonl "$demo"/a-minor.mp3 "$demo"/c-major.ogg "$demo"/e-flat-major.flac "$demo"/f-sharp-minor.m4a > "$work/reference.jsonl" 2>/dev/null \
    || abort "keyscan analyze on the demo files failed"

# Checks the library (beet ls) and the files' own tags against keyscan's reference.
#   check_library LABEL NOTATION [TAG_NOTATION]: every analyzable item holds its key in
#   NOTATION (as beets spells it) and its file's tag in TAG_NOTATION (default: the same);
#   broken.mp3 and silence.mp3 have no key.
check_library() {
    local label=$1 notation=$2 tags=${3:-$2}
    "$beet" ls -f '$path|$initial_key|$keyscan_confidence|$keyscan_camelot|$keyscan_tuning_cents|$keyscan_key_changes' \
        > "$work/ls.txt" 2> "$work/ls.err" || { fail "$label: beet ls failed: $(cat "$work/ls.err")"; return; }
    if "$python" - "$label" "$notation" "$tags" "$work/ls.txt" "$work/reference.jsonl" "$music" <<'EOF'
import json, os, sys
from mediafile import MediaFile
label, notation, tags, listing, reference, music = sys.argv[1:]
# beets' initial_key type spells flats as sharps and lower-cases a Camelot letter.
spelling = {"Eb": "D#", "Db": "C#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
def beets_form(result, notation=notation):
    if notation == "camelot":
        return result["camelot"].lower()
    if notation == "openkey":
        return result["openkey"]
    tonic, mode = result["key"].split()
    return spelling.get(tonic, tonic) + ("m" if mode == "minor" else "")
want = {}
for line in open(reference):
    r = json.loads(line)
    want[os.path.basename(r["path"]).split(".")[0]] = r
problems, seen = [], 0
for line in open(listing, encoding="utf-8", errors="replace"):
    path, key, confidence, camelot, cents, changes = line.rstrip("\n").split("|")
    name = os.path.basename(path)
    if name.startswith(("broken", "silence")):
        if key or not confidence.startswith("$"):
            problems.append(f"{name} got a key: {line.strip()}")
        continue
    stem = next((s for s in want if name.startswith(s)), None)
    if stem is None:
        problems.append(f"unexpected item {path}")
        continue
    r = want[stem]
    got = (key, confidence, camelot, cents, changes)
    expected = (beets_form(r), f"{r['confidence']:.4f}", r["camelot"], f"{r['tuning_cents']:.1f}", str(r["key_changes"]))
    if got != expected:
        problems.append(f"beet ls {name}: {got}, keyscan says {expected}")
    seen += 1
# The tags in the files themselves, read by mediafile rather than through beets.
for entry in os.scandir(os.fsencode(music)):
    name = os.fsdecode(entry.name)
    stem = next((s for s in want if name.startswith(s)), None)
    if stem is None:
        continue
    tag = MediaFile(entry.path).initial_key
    if tag != beets_form(want[stem], tags):
        problems.append(f"tag of {name}: {tag!r}, expected {beets_form(want[stem], tags)!r}")
if seen != 5:
    problems.append(f"{seen} analyzable items listed, expected 5")
for p in problems:
    print(f"  {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
    then pass "$label: beet ls holds keyscan's values ($notation), the files' tags too ($tags)"
    else fail "$label: library or tags differ from keyscan (above)"
    fi
}

# The ok results of run N: "all" or "none" of them from keyscan's cache.
cached() {
    "$python" - "$runs/$1.jsonl" "$2" <<'EOF'
import json, sys
ok = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["status"] == "ok"]
cached = [r.get("cached") is True for r in ok]
sys.exit(0 if ok and (all(cached) if sys.argv[2] == "all" else not any(cached)) else 1)
EOF
}
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

sha() { sha256sum "$@" | sort; }

# --- import, then make broken.mp3 text and silence.mp3 silent ---------------------------
configure standard no no
"$beet" import -A "$music" > "$work/import.log" 2>&1 || abort "beet import failed: $(tail -5 "$work/import.log")"
items=$("$beet" ls | wc -l)
[ "$items" -eq 7 ] || abort "beet import: $items items, expected 7"
printf 'not audio at all\n' > "$music/broken.mp3"
ffmpeg -v error -y -f lavfi -i anullsrc=r=44100:cl=mono -t 4 "$music/silence.mp3"
bad_sums=$(sha "$music/broken.mp3" "$music/silence.mp3")

# --- 1. one keyscan run for all items, values as keyscan says --------------------------
t0=$(date +%s.%N)
"$beet" keyscan > "$work/run1.log" 2>&1 || fail "beet keyscan: exit status $? ($(tail -3 "$work/run1.log"))"
t1=$(date +%s.%N)
[ "$(runs_count)" -eq 1 ] && pass "first run: one keyscan process for 7 items" \
    || fail "first run: $(runs_count) keyscan processes, expected 1"
grep -qx -- '--null' "$runs/1.args" && grep -qx -- 'jsonl' "$runs/1.args" \
    && pass "keyscan read the paths NUL-separated and streamed jsonl" || fail "keyscan arguments: $(tr '\n' ' ' < "$runs/1.args")"
[ "$(wc -l < "$runs/1.jsonl")" -eq 7 ] || fail "first run: $(wc -l < "$runs/1.jsonl") results, expected 7"
check_library "first run" standard
grep -q 'broken.mp3.*(not_audio); left unchanged' "$work/run1.log" \
    && pass "broken.mp3 logged with keyscan's error code" || fail "no not_audio error for broken.mp3 in: $(cat "$work/run1.log")"
grep -q 'no key for .*silence.mp3 (silent): .*; left unchanged' "$work/run1.log" \
    && pass "silence.mp3 logged as no key (silent)" || fail "no 'no key' line for silence.mp3 in: $(cat "$work/run1.log")"
[ "$(sha "$music/broken.mp3" "$music/silence.mp3")" = "$bad_sums" ] && pass "broken.mp3 and silence.mp3 untouched" \
    || fail "broken.mp3 or silence.mp3 was modified"
[ "$(ffprobe -v error -show_entries format_tags=TKEY -of csv=p=0 "$music/a-minor.mp3")" = "Am" ] \
    && pass "ffprobe reads TKEY=Am from a-minor.mp3" || fail "ffprobe: a-minor.mp3 has no TKEY Am"
# Numeric types: a range query is a substring query on a string field and would match nothing.
[ "$("$beet" ls 'keyscan_tuning_cents:-50..50' 'keyscan_confidence:0..1' 'keyscan_key_changes:0..' | wc -l)" -eq 5 ] \
    && pass "numeric range queries on keyscan_* fields" || fail "range queries on keyscan_* do not find the 5 items"

# --- 2. again: only the files without a key are sent, and keyscan's cache answers them ---
"$beet" keyscan > "$work/run2.log" 2>&1 || fail "second run: exit status $?"
[ "$(runs_count)" -eq 2 ] && [ "$(wc -l < "$runs/2.jsonl")" -eq 2 ] && [ "$(grep -c '"cached": true' "$runs/2.jsonl")" -eq 2 ] \
    && pass "second run: items with a key skipped, broken.mp3 and silence.mp3 answered from the cache" \
    || fail "second run: $(runs_count) runs, output $(cat "$runs/2.jsonl" 2>/dev/null)"
grep -q '5 skipped' "$work/run2.log" || fail "second run does not report 5 skipped: $(tail -1 "$work/run2.log")"

# --- 3. another notation without overwrite changes nothing -----------------------------
configure camelot no no
"$beet" keyscan > "$work/run3.log" 2>&1 || fail "third run: exit status $?"
check_library "camelot without overwrite" standard

# --- 4. overwrite: everything analyzed again, Camelot written -----------------------------
# Beets rewrote the files' tags in the first run, which changed their size and modification
# time, so keyscan's cache no longer answers for them.
configure camelot yes no
"$beet" keyscan > "$work/run4.log" 2>&1 || fail "overwrite run: exit status $?"
check_library "overwrite, camelot" camelot
cached "$(runs_count)" none && pass "files beets rewrote are analyzed afresh" \
    || fail "overwrite run: cached results for files beets rewrote: $(cat "$runs/$(runs_count).jsonl")"

# --- 5. Open Key, overwrite from the command line, --nowrite: the files keep Camelot --------
configure openkey no no
"$beet" keyscan --force --nowrite > "$work/run5.log" 2>&1 || fail "beet keyscan --force --nowrite: exit status $?"
check_library "beet keyscan --force --nowrite, openkey" openkey camelot

# --- 6. the same again: every result from keyscan's cache ---------------------------------
t2=$(date +%s.%N)
"$beet" keyscan --force --nowrite > "$work/run6.log" 2>&1 || fail "cached run: exit status $?"
t3=$(date +%s.%N)
check_library "the same again" openkey camelot
cached "$(runs_count)" all && pass "rerun answered from keyscan's cache ($(seconds "$t2" "$t3") s for 7 items; first run $(seconds "$t0" "$t1") s)" \
    || fail "rerun: results not all cached: $(cat "$runs/$(runs_count).jsonl")"
"$beet" keyscan --force > "$work/run6w.log" 2>&1 || fail "beet keyscan --force: exit status $?"
check_library "beet keyscan --force, written" openkey

# --- 7. keyscan killed mid-stream: one item answered, the rest untouched ---------------
mkdir -p "$work/dying"
cat > "$work/dying/keyscan" <<EOF
#!/usr/bin/env bash
# Answers the first path, starts a second line, and dies by SIGKILL.
IFS= read -r -d '' first
printf '%s\0' "\$first" | "$keyscan" "\$@"
printf '{"path": "%s", "status": "ok", "key": "C maj' "\$first"
kill -KILL \$\$
EOF
chmod +x "$work/dying/keyscan"
before=$(sha "$music"/*)
configure standard yes no "$work/dying/keyscan"
status=0
"$beet" keyscan > "$work/run7.log" 2>&1 || status=$?
after=$(sha "$music"/*)
changed=$(diff <(echo "$before") <(echo "$after") | grep -c '^>' || true)
unanswered=$(grep -c 'no result from keyscan for .*; left unchanged' "$work/run7.log" || true)
if [ "$status" -ne 0 ] && grep -q 'keyscan was killed by signal 9 with 6 of 7 items unanswered' "$work/run7.log" \
    && ! grep -q Traceback "$work/run7.log" && [ "$unanswered" -eq 6 ] && [ "$changed" -eq 1 ]; then
    pass "keyscan killed: exit status $status, 6 items reported, only the answered file rewritten"
else
    fail "killed keyscan: status $status, $unanswered reported, $changed files changed: $(cat "$work/run7.log")"
fi
[ "$("$beet" ls 'initial_key::^[0-9]+m$|^[0-9]+d$' | wc -l)" -eq 4 ] \
    && pass "the 4 unanswered analyzable items keep their Open Key" \
    || fail "after the kill: $("$beet" ls -f '$path $initial_key')"

# --- 8. keyscan missing or not executable: one clear error -----------------------------
for bin in "" "$music/broken.mp3"; do
    configure standard yes no "$bin"
    status=0
    # A PATH of one empty folder: no keyscan, even one installed system-wide.
    mkdir -p "$work/empty"
    PATH="$work/empty" "$beet" keyscan > "$work/run8.log" 2>&1 || status=$?
    what=${bin:+"bin: a file that is not executable"}
    what=${what:-"keyscan not on PATH"}
    if [ "$status" -eq 1 ] && grep -q '^error: cannot run keyscan' "$work/run8.log" && ! grep -q Traceback "$work/run8.log"; then
        pass "$what: $(head -1 "$work/run8.log")"
    else
        fail "$what: status $status: $(cat "$work/run8.log")"
    fi
done

# A keyscan that stops before answering anything (as on an unreadable model): one error
# that quotes what it said.
cat > "$work/dying/refusing" <<'EOF'
#!/bin/sh
echo "keyscan: cannot read the model: no such file" >&2
exit 2
EOF
chmod +x "$work/dying/refusing"
configure standard yes no "$work/dying/refusing"
status=0
"$beet" keyscan > "$work/run8.log" 2>&1 || status=$?
if [ "$status" -eq 1 ] && ! grep -q Traceback "$work/run8.log" && [ "$(wc -l < "$work/run8.log")" -le 2 ] \
    && grep -q '^error: keyscan exited with status 2 before answering any item: keyscan: cannot read the model' "$work/run8.log"; then
    pass "keyscan exiting with status 2: $(grep '^error' "$work/run8.log")"
else
    fail "keyscan exiting with status 2: status $status: $(cat "$work/run8.log")"
fi

# --- 9. auto: analyzed on import, one keyscan run for the import -----------------------
rm -rf "$music" "$BEETSDIR/library.db"
mkdir -p "$music"
cp "$demo"/a-minor.mp3 "$demo"/c-major.ogg "$demo"/e-flat-major.flac "$demo"/f-sharp-minor.m4a "$music/"
cp "$demo/c-major.ogg" "$music/$(printf 'c-major-caf\xe9.ogg')"
cp "$demo/notes.mp3" "$music/broken.mp3"  # not audio: beets does not import it
configure standard no yes
n=$(runs_count)
"$beet" import -A "$music" > "$work/import2.log" 2>&1 || fail "beet import with auto: exit status $?"
[ "$(runs_count)" -eq $((n + 1)) ] && pass "auto: one keyscan run for the import" \
    || fail "auto: $(( $(runs_count) - n )) keyscan runs for one import"
check_library "auto on import" standard

# With keyscan missing, an import logs the error and goes on: the item comes in without a key.
mkdir -p "$work/more"
cp "$demo/a-minor.mp3" "$work/more/later.mp3"
configure standard no yes "$work/empty/keyscan"
status=0
"$beet" import -A "$work/more" > "$work/import3.log" 2>&1 || status=$?
if [ "$status" -eq 0 ] && grep -q "keyscan: cannot run keyscan: '$work/empty/keyscan' is not an executable file" "$work/import3.log" \
    && ! grep -q Traceback "$work/import3.log" && [ "$("$beet" ls -f 'key=$initial_key' "path:$work/more")" = "key=" ]; then
    pass "auto without keyscan: the import goes on, the error logged"
else
    fail "auto without keyscan: status $status: $(cat "$work/import3.log"); $("$beet" ls -f '$path $initial_key' "path:$work/more")"
fi

summary
