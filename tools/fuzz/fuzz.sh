#!/usr/bin/env bash
# Builds one libFuzzer target of tools/fuzz and runs it, keeping a corpus between runs.
#
#   tools/fuzz/fuzz.sh TARGET [SECONDS]     fuzz for SECONDS (default 600)
#   tools/fuzz/fuzz.sh TARGET 0             replay the corpus and seeds once (a regression check)
#   tools/fuzz/fuzz.sh --list               the targets (the folders of tools/fuzz/Targets)
#
# Everything lives under data/fuzz/TARGET/ (data/ is not in git): seeds/ (made by
# Targets/TARGET/make_seeds when missing; delete it to regenerate), corpus/ (what libFuzzer
# found interesting, grown by every run), artifacts/ (crash-*, timeout-*, leak-*, oom-*
# inputs) and one log per run. Extra libFuzzer flags can follow SECONDS.
#
# Every module, keyscan's included, is built with -sanitize=fuzzer,address: libFuzzer sees
# our branches, and AddressSanitizer with LeakSanitizer turns memory errors and leaks
# into findings. FFmpeg, libsoxr and OpenBLAS are Debian's uninstrumented builds, so
# their code adds no coverage, but a crash inside them is still caught.
set -euo pipefail
cd "$(dirname "$0")/../.."
targets=$(ls tools/fuzz/Targets)
if [ "${1:-}" = "--list" ] || [ $# -lt 1 ]; then
    [ $# -lt 1 ] && echo "usage: tools/fuzz/fuzz.sh TARGET [SECONDS] [LIBFUZZER-FLAG...]" >&2
    echo "targets:" $targets
    [ $# -ge 1 ]; exit
fi
target=$1
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
source_dir=tools/fuzz/Targets/$target
[ -d "$source_dir" ] || { echo "no fuzz target '$target'; targets:" $targets >&2; exit 2; }

work=data/fuzz/$target
mkdir -p "$work/corpus" "$work/artifacts"
# Linked with the toolchain's lld: Debian's gold, swiftc's default, stops with an internal
# error (dwarf_reader.cc) on libFuzzer's runtime next to SwiftPM's `--defsym main=`.
lld=$(dirname "$(readlink -f "$(command -v swift)")")/ld.lld
toolset=data/fuzz/toolset.json
echo "{\"schemaVersion\": \"1.0\", \"linker\": {\"path\": \"$lld\"}}" > "$toolset"
# The manifest lists Targets/ when it is evaluated, and keyscan's modules are read from the
# checkout: neither cache may stand in for that (a cached manifest missed a new fuzzer, a
# cached build plan a new source file of keyscan's).
build=(swift build -c release --package-path tools/fuzz --product "$target" --toolset "$PWD/$toolset"
       --manifest-cache none --disable-build-manifest-caching -Xswiftc -sanitize=fuzzer,address)
echo "building: ${build[*]}" >&2
"${build[@]}" > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
binary=$("${build[@]}" --show-bin-path)/$target
if [ ! -d "$work/seeds" ] && [ -x "$source_dir/make_seeds" ]; then
    "$source_dir/make_seeds" "$work/seeds.tmp" >&2 && mv "$work/seeds.tmp" "$work/seeds"
fi
mkdir -p "$work/seeds"

# -timeout: a valid short input takes milliseconds, so 10 s is a hang.
# -rss_limit_mb / -malloc_limit_mb: keyscan's memory is bounded (see docs/benchmarks.md), so 2 GB is a bug.
flags=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1
       -artifact_prefix="$work/artifacts/")
[ -f "$source_dir/fuzz.dict" ] && flags+=(-dict="$source_dir/fuzz.dict")
[ -f "$source_dir/options" ] && read -r -a extra < "$source_dir/options" && flags+=("${extra[@]}")
if [ "$seconds" = 0 ]; then flags+=(-runs=0); else flags+=(-max_total_time="$seconds"); fi

log=$work/log-$(date +%Y%m%d-%H%M%S).txt
before=$(ls "$work/artifacts" | sort)
echo "fuzzing $target for ${seconds}s; log: $log" >&2
status=0
# libFuzzer reports crashes itself (stack, input saved); Swift's backtracer would only
# delay it (and it can hang when stderr is a pipe).
export SWIFT_BACKTRACE=enable=no
# corpus/ first: libFuzzer writes new inputs into the first folder only.
"$binary" "${flags[@]}" "$@" "$work/corpus" "$work/seeds" > "$log" 2>&1 &
pid=$!
wait "$pid" || status=$?
# A fuzzer that writes its input to /dev/shm/keyscan-fuzz-TARGET-PID removes it at exit,
# but libFuzzer leaves without running exit handlers after a crash or OOM.
rm -f "/dev/shm/keyscan-fuzz-$target-$pid"

new=$(comm -13 <(echo "$before") <(ls "$work/artifacts" | sort) | sed '/^$/d')
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
last=$(grep -E "^#[0-9]+" "$log" | tail -1 || true)
echo "== $target: $(date -u +%Y-%m-%dT%H:%M:%SZ), ${seconds}s, exit status $status"
echo "executions:   $(stat number_of_executed_units) ($(stat average_exec_per_sec)/s), peak RSS $(stat peak_rss_mb) MB"
echo "coverage:     $(echo "$last" | grep -oE 'cov: [0-9]+ ft: [0-9]+' || echo '?')"
echo "corpus:       $(ls "$work/corpus" | wc -l) files in $work/corpus, $(ls "$work/seeds" | wc -l) seeds"
if [ -n "$new" ]; then
    echo "findings:     $(echo "$new" | wc -l) new in $work/artifacts/:"
    echo "$new" | sed 's/^/  /'
    grep -E "^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*: Fatal error|ALARM|==[0-9]+== ERROR)" "$log" | head -5 | sed 's/^/  /'
else
    echo "findings:     none"
fi
exit "$status"
