#!/usr/bin/env bash
# Measures the package for docs/install.md: its size and installed size, `keyscan --version`
# start-up (first run after dropping the page cache, then warm), and the demo folder analyzed
# by the installed binary and by the checkout's release build, alternately, same keys
# required. Installs the package and purges it at the end. Needs root.
# Usage: tools/package/measure.sh keyscan_<version>_<arch>.deb CHECKOUT_KEYSCAN [RUNS]
#   CHECKOUT_KEYSCAN  e.g. .build/release/keyscan (swift build -c release)
set -euo pipefail
[ $# -ge 2 ] || { sed -n '7,8p' "$0" | sed 's/^# //' >&2; exit 64; }
deb="$(readlink -f "$1")" checkout="$(readlink -f "$2")" runs="${3:-7}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$repo"/tools/demo/*.mp3 "$repo"/tools/demo/*.ogg "$repo"/tools/demo/*.flac "$repo"/tools/demo/*.m4a "$work/"
rm "$work/notes.mp3"

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" > /dev/null
echo "package: $(stat -c %s "$deb") bytes; installed size: $(dpkg-query -W -f='${Installed-Size}' keyscan) KiB;" \
     "binary: $(stat -c %s /usr/bin/keyscan) bytes (checkout's: $(stat -c %s "$checkout"))"

seconds() { python3 -c 'import subprocess, sys, time
t = time.perf_counter(); subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False); print(f"{time.perf_counter() - t:.4f}")' "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null && cold="$(seconds /usr/bin/keyscan --version)" || cold="n/a (cannot drop caches)"
warm="$(for _ in $(seq 20); do seconds /usr/bin/keyscan --version; done | median)"
source_warm="$(for _ in $(seq 20); do seconds "$checkout" --version; done | median)"
echo "keyscan --version: first run after dropping caches ${cold} s; warm median of 20 ${warm} s" \
     "(the checkout's release build: ${source_warm} s)"

for binary in /usr/bin/keyscan "$checkout"; do
    "$binary" analyze --no-cache --format csv --model "$repo/Weights/keyscan.safetensors" "$work" | cut -d, -f1,4 | sort > "$work/keys-$(basename "$(dirname "$binary")")"
done
cmp -s "$work/keys-bin" "$work/keys-release" && echo "demo keys: identical" || { echo "demo keys differ:"; diff "$work/keys-bin" "$work/keys-release"; }

: > "$work/installed"; : > "$work/source"
for _ in $(seq "$runs"); do  # alternate, so drift in the machine's load hits both alike
    seconds /usr/bin/keyscan analyze --no-cache --jobs 2 "$work" >> "$work/installed"
    seconds "$checkout" analyze --no-cache --jobs 2 --model "$repo/Weights/keyscan.safetensors" "$work" >> "$work/source"
done
echo "demo folder (4 files, 64 s of audio), --jobs 2, median of $runs: installed $(median < "$work/installed") s," \
     "checkout's release build $(median < "$work/source") s"
echo "  installed: $(tr '\n' ' ' < "$work/installed")"
echo "  checkout:  $(tr '\n' ' ' < "$work/source")"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq keyscan > /dev/null
