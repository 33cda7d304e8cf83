#!/usr/bin/env bash
# Runs the test suite under ThreadSanitizer or AddressSanitizer (with LeakSanitizer).
#
#   tools/sanitizers/sanitize.sh thread|address [swift test arguments...]
#
# Each sanitizer gets its own build folder (.build-tsan, .build-asan), so the normal
# .build is untouched; a first build takes several minutes. The end-to-end tests run the
# keyscan binary of that build, which is instrumented too, so every process's reports are
# written to data/sanitize/KIND/ (log_path) rather than to a stderr a test may capture.
# The run fails if the tests fail or if any process wrote a report.
#
# Suppressions, each with its reason, are in tools/sanitizers/.
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:-}
shift || true
case $kind in
    thread)  scratch=.build-tsan ;;
    address) scratch=.build-asan ;;
    *) echo "usage: tools/sanitizers/sanitize.sh thread|address [swift test arguments...]" >&2; exit 2 ;;
esac
reports=data/sanitize/$kind
rm -rf "$reports"
mkdir -p "$reports"
suppressions=$PWD/tools/sanitizers
# Reports name the source line; Swift's own backtracer would only repeat a crash's stack.
export SWIFT_BACKTRACE=enable=no
export TSAN_OPTIONS="log_path=$PWD/$reports/tsan halt_on_error=0 second_deadlock_stack=1 suppressions=$suppressions/tsan.supp"
export ASAN_OPTIONS="log_path=$PWD/$reports/asan detect_leaks=1 strict_string_checks=1 check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp print_suppressions=0"

set +e
swift test --sanitize="$kind" --scratch-path "$scratch" "$@" > "$reports/swift-test.log" 2>&1
status=$?
set -e
grep -E "^(✔ Test run|✘ Test run|✘ Test [^r]|error:)|Executed .* tests" "$reports/swift-test.log" | tail -20
found=$(find "$reports" -name 'tsan.*' -o -name 'asan.*' | sort)
if [ -n "$found" ]; then
    echo "$kind sanitizer: $(echo "$found" | wc -l) process(es) wrote reports:"
    for report in $found; do
        echo "== $report"
        grep -E "^(WARNING|ERROR|SUMMARY|==[0-9]+==ERROR)|^    #[0-3] " "$report" | head -30
    done
    exit 1
fi
echo "$kind sanitizer: no reports (swift test exit status $status; full log: $reports/swift-test.log)"
exit "$status"
