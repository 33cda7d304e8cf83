#!/usr/bin/env bash
# Installs what keyscan needs (tools/install-deps.sh), builds it, and analyzes the bundled
# demo folder: four short progressions in known keys, in four containers, and one file
# that is not audio (its error result shows how a bad file is reported).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/install-deps.sh
swift build -c release 2>&1 | tail -1
status=0
.build/release/keyscan analyze tools/demo || status=$?
# 1 means some files failed: expected here, because of tools/demo/notes.mp3.
[ "$status" -le 1 ]
