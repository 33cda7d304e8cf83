#!/usr/bin/env bash
# The report page in a real browser (Debian's chromium, headless): see test_report_browser.py.
#
# Usage: tools/report/test_report_browser.sh [KEYSCAN] [PYTHON] [--screenshots FOLDER]
#   KEYSCAN  the keyscan binary (default .build/debug/keyscan)
#   PYTHON   a Python with tools/report/requirements.txt (default .venv-ci/bin/python)
# .ci/run runs it after swift test (tools/install-deps.sh chromium libgl1-mesa-dri fonts-liberation fonts-dejavu-core installs the browser);
# about 10 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
keyscan="$(realpath "${1:-.build/debug/keyscan}")"
python="$(realpath -s "${2:-.venv-ci/bin/python}")"
shift $(( $# < 2 ? $# : 2 ))
[ -x /usr/bin/chromium ] || { echo "test_report_browser: /usr/bin/chromium is missing (apt-get install chromium)" >&2; exit 2; }
exec "$python" tools/report/test_report_browser.py "$keyscan" "$@"
