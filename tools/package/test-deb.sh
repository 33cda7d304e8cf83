#!/usr/bin/env bash
# Tests a built package as a user gets it: installs it with apt, analyzes the demo folder
# with /usr/bin/keyscan from outside the checkout, in an environment with no Swift toolchain
# on PATH and no KEYSCAN_MODEL, checks every key, the man pages, the bash completion and the
# version; then purges it and checks that none of its files remain. Needs root (apt-get).
# Usage: tools/package/test-deb.sh keyscan_<version>_<arch>.deb
set -euo pipefail
[ $# -eq 1 ] || { sed -n '6p' "$0" | sed 's/^# //' >&2; exit 64; }
deb="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

failures=0 passes=0
check() {  # check DESCRIPTION COMMAND...: one named check; the run goes on after a failure
    local what="$1"; shift
    if "$@" > "$work/check.log" 2>&1; then
        passes=$((passes + 1)); echo "ok   $what"
    else
        failures=$((failures + 1)); echo "FAIL $what"; sed 's/^/     /' "$work/check.log"
    fi
}

# What a user without Swift has: /usr/bin and /bin on PATH, no KEYSCAN_MODEL, a home of their own.
mkdir -p "$work/home" "$work/music"
user_env=(env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8)
in_user_env() { (cd "$work/music" && "${user_env[@]}" "$@"); }

# A package left by an earlier run that stopped halfway would mask this one.
dpkg -s keyscan > /dev/null 2>&1 && { echo "test-deb.sh: purging the keyscan already installed" >&2; apt-get purge -y -qq keyscan > /dev/null; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
dpkg -L keyscan | while read -r f; do [ -f "$f" ] && echo "$f"; done > "$work/files"
version="$(dpkg-deb -f "$deb" Version)"

cp "$repo"/tools/demo/*.mp3 "$repo"/tools/demo/*.ogg "$repo"/tools/demo/*.flac "$repo"/tools/demo/*.m4a "$work/music/"

no_swift_on_path() { ! in_user_env sh -c 'command -v swift || command -v swiftc'; }
check "no Swift toolchain on the user's PATH" no_swift_on_path
check "the binary needs no Swift runtime library" sh -c "! ldd /usr/bin/keyscan | grep -E 'libswift|libFoundation|libdispatch'"

version_line() { [ "$(in_user_env keyscan --version)" = "$version" ]; }
check "keyscan --version prints the package's version ($version)" version_line
verbose_model() { in_user_env keyscan --version --verbose | grep -q "^model: .* /usr/share/keyscan/keyscan.safetensors "; }
check "the installed model is the default (--version --verbose)" verbose_model

demo_keys() {
    local status=0
    in_user_env keyscan analyze --format csv . > "$work/demo.csv" || status=$?
    [ "$status" -eq 1 ] || { echo "exit status $status, expected 1 (notes.mp3 is not audio)"; return 1; }
    python3 - "$work/demo.csv" <<'PY'
import csv, sys
expected = {"./a-minor.mp3": "8A", "./c-major.ogg": "8B", "./e-flat-major.flac": "5B",
            "./f-sharp-minor.m4a": "11A", "./notes.mp3": "not_audio"}
rows = {r["path"]: r for r in csv.DictReader(open(sys.argv[1]))}
got = {p: (r["camelot"] if r["status"] == "ok" else r["error_code"]) for p, r in rows.items()}
print(got)
sys.exit(0 if got == expected else 1)
PY
}
check "keyscan analyze finds every demo key (and notes.mp3's error)" demo_keys
cached() { in_user_env keyscan analyze --format jsonl a-minor.mp3 | grep -q '"cached": true'; }
check "a rerun is answered from the cache in the user's home" cached

check "man -w keyscan" in_user_env man -w keyscan
check "man -w keyscan-analyze (a page per command)" in_user_env man -w keyscan-analyze
whatis_entry() { in_user_env sh -c 'zcat /usr/share/man/man1/keyscan-serve.1.gz | grep -q "^\.Nm keyscan-serve$"'; }
check "subcommand pages are named as man's index expects" whatis_entry

completion() {
    in_user_env bash -c '
        . /usr/share/bash-completion/bash_completion
        __load_completion keyscan || exit 1
        complete -p keyscan || exit 1
        COMP_WORDS=(keyscan an); COMP_CWORD=1; COMP_LINE="keyscan an"; COMP_POINT=${#COMP_LINE}
        fn=$(complete -p keyscan | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
        "$fn" keyscan an keyscan
        printf "%s\n" "${COMPREPLY[@]}" | grep -qx analyze'
}
check "the bash completion loads (complete -p keyscan) and completes 'keyscan an'" completion
check "zsh and fish completions are installed" test -s /usr/share/zsh/vendor-completions/_keyscan -a -s /usr/share/fish/vendor_completions.d/keyscan.fish
check "copyright file" grep -q "^License: MIT" /usr/share/doc/keyscan/copyright

DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq keyscan > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
leftovers() { local left; left="$(while read -r f; do [ -e "$f" ] && echo "$f"; done < "$work/files")"; [ -z "$left" ] || { echo "$left"; return 1; }; }
check "apt-get purge keyscan leaves none of its $(wc -l < "$work/files") files" leftovers
check "no /usr/share/keyscan after purge" test ! -e /usr/share/keyscan

echo "package: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
