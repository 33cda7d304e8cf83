#!/usr/bin/env bash
# Installs the Debian 12 packages keyscan builds and tests with, if any is missing:
# FFmpeg 5.1 (decoding), libmpg123 (MP3 on the fast front end), libvorbisfile (Ogg Vorbis that FFmpeg refuses), libsoxr (the
# transform's resampler), OpenBLAS (matrix products),
# SQLite (the result cache, through GRDB), TagLib 1.13 (writing key tags), pkg-config (to
# find them), and the ffmpeg tool (the tests encode their audio with it, and read tags back
# with its ffprobe; and lame, for MP3s with CRCs and in dual-channel mode), and python3-venv (.ci/run tests the Ray runner, tools/distributed, from a venv).
# Usage: tools/install-deps.sh [PACKAGE...]   also installs these, e.g. what a test needs
set -euo pipefail
packages=(pkg-config libavformat-dev libavcodec-dev libavutil-dev libswresample-dev libmpg123-dev libvorbis-dev
          libsoxr-dev libopenblas-dev libsqlite3-dev libtag1-dev ffmpeg lame python3-venv "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
