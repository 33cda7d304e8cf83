#!/bin/bash
# MP3s of every kind for checking that one MP3 decoded on two threads gives the same features
# as decoded in order (docs/benchmarks.md, "One MP3 on two threads"): transcoded from
# data/heldout-pop909 (MP3s) with ffmpeg and lame into OUT_FOLDER. Then, with two builds:
#   OLD features OUT_FOLDER --out a --jobs 1; NEW features OUT_FOLDER --out b --jobs 1; cmp a/X.npy b/X.npy
set -e
out=${1:?usage: split_identity_mp3s.sh OUT_FOLDER}; mkdir -p "$out"; here=$(cd "$(dirname "$0")/../.." && pwd); cd "$out"
S=$here/data/heldout-pop909
w() { ffmpeg -nostdin -loglevel error -y -i $S/pop909-$1.mp3 -ac 2 src-$1.wav; }
for n in 001 002 003 004 005 006; do [ -f src-$n.wav ] || w $n; done
f() { ffmpeg -nostdin -loglevel error -y "$@"; }
f -i src-001.wav -c:a libmp3lame -b:a 128k cbr128-44k.mp3
lame --quiet -V 2 src-002.wav vbr-v2-44k.mp3
f -i src-003.wav -ar 32000 -c:a libmp3lame -b:a 96k cbr96-32k.mp3
f -i src-004.wav -ar 48000 -c:a libmp3lame -q:a 3 vbr-48k.mp3
f -i src-005.wav -ar 22050 -c:a libmp3lame -b:a 64k mpeg2-22k.mp3
f -i src-006.wav -ar 24000 -c:a libmp3lame -b:a 48k mpeg2-24k.mp3
f -i src-001.wav -ar 16000 -c:a libmp3lame -b:a 32k mpeg2-16k.mp3
f -i src-002.wav -ar 11025 -c:a libmp3lame -b:a 16k mpeg25-11k.mp3
f -i src-003.wav -ar 11025 -c:a libmp3lame -b:a 8k mpeg25-11k-8k.mp3
f -i src-004.wav -ar 8000 -c:a libmp3lame -b:a 8k mpeg25-8k.mp3
f -i src-005.wav -ac 1 -c:a libmp3lame -b:a 96k mono-44k.mp3
f -i src-006.wav -f lavfi -i color=c=blue:s=300x300:d=1 -map 0:a -map 1:v -c:a libmp3lame -b:a 192k -c:v mjpeg -frames:v 1 -disposition:v attached_pic -metadata title="Tagged" -metadata artist="Somebody" -id3v2_version 3 id3-cover.mp3
f -i src-001.wav -c:a libmp3lame -b:a 160k -write_xing 0 noxing.mp3
f -i src-002.wav -c:a libmp3lame -b:a 320k cbr320.mp3
lame --quiet --abr 160 -m j src-003.wav abr160.mp3
lame --quiet -V 7 --resample 22.05 src-004.wav vbr-22k.mp3
f -i src-005.wav -t 10 -c:a libmp3lame -b:a 128k short10s.mp3
lame --quiet -b 128 --nores src-006.wav nores.mp3
f -i src-001.wav -i src-002.wav -i src-003.wav -filter_complex concat=n=3:v=0:a=1 -c:a libmp3lame -b:a 128k long3.mp3
python3 - <<'PY'
import random
for name, src, frac in [("damaged-2nd-half.mp3", "cbr128-44k.mp3", 0.7), ("damaged-1st-half.mp3", "vbr-v2-44k.mp3", 0.3),
                        ("damaged-2nd-half-vbr.mp3", "vbr-v2-44k.mp3", 0.8)]:
    b = bytearray(open(src, "rb").read())
    r = random.Random(7)
    at = int(len(b) * frac)
    b[at:at + 4096] = bytes(r.randrange(256) for _ in range(4096))
    open(name, "wb").write(b)
PY
rm -f src-*.wav
ls -l
