#!/usr/bin/env python3
"""Which audio files FFmpeg refuses, and whether another decoder reads them.

    tools/census/decode_census.py [--jobs N] [--json OUT] [--list] PATH...

PATH is a folder (searched recursively for the extensions keyscan picks up) or a file, or
`@LIST`, a text file naming one file per line. Every file is decoded with the ffmpeg CLI
(its first audio stream, to the null muxer), as keyscan's FFmpeg path would decode it.
Each file FFmpeg refuses (non-zero exit) is then tried with sox, with libsndfile and,
when it is Ogg, with libvorbisfile (both through ctypes, so no pip package is needed), and
its container is named from its first bytes, never its extension. The report groups the
refused files by container and FFmpeg's error, with how many each other decoder reads;
--list names the files too. Needs Debian's ffmpeg, sox, libsndfile1 and libvorbisfile3.
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import re
import stat
import subprocess
import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

# keyscan's AudioFileFinder.audioExtensions.
EXTENSIONS = {
    "mp3", "mp2", "m4a", "m4b", "aac", "mp4", "m4v", "mov", "3gp", "alac", "flac", "wav", "wave",
    "aif", "aiff", "aifc", "ogg", "oga", "opus", "spx", "wma", "asf", "wmv", "wv", "ape", "mpc",
    "mka", "mkv", "webm", "ac3", "eac3", "dts", "caf", "au", "snd", "tta", "amr", "avi", "flv", "ts",
}


def container(path):
    """The container (and for Ogg, the first stream's codec) from the file's first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as error:
        return f"unreadable ({error.strerror})"
    if not head:
        return "empty"
    if head.startswith(b"OggS") and len(head) >= 28:
        body = head[27 + head[26]:]
        for magic, name in [(b"\x01vorbis", "vorbis"), (b"OpusHead", "opus"), (b"\x7fFLAC", "flac"),
                            (b"Speex   ", "speex"), (b"\x80theora", "theora")]:
            if body.startswith(magic):
                return f"ogg/{name}"
        return "ogg/other"
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"ID3") or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mpeg audio"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b".snd"):
        return "au"
    if head.startswith(b"\x30\x26\xb2\x75"):
        return "asf"
    return "unknown (" + head[:8].hex() + ")"


# A file no decoder gets through in this long is reported as a time-out.
TIMEOUT = 600


def ffmpeg(path):
    """None if FFmpeg decodes the file, else its error with addresses and the path removed."""
    try:
        run = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-i", path,
                              "-map", "0:a:0", "-f", "null", "-"], capture_output=True, text=True, errors="replace",
                             timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"no result after {TIMEOUT} s"
    if run.returncode == 0:
        return None
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    line = lines[0] if lines else f"exit status {run.returncode}"
    line = re.sub(r" @ 0x[0-9a-f]+\]", "]", line).replace(path, "FILE")
    return line


def sox(path):
    try:
        run = subprocess.run(["sox", "-V1", path, "-t", "null", "-"], capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False
    return run.returncode == 0


class SndFile:
    """libsndfile through ctypes: opens the file and reads every frame."""
    class Info(ctypes.Structure):
        _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                    ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]

    def __init__(self):
        self.lib = ctypes.CDLL(ctypes.util.find_library("sndfile") or "libsndfile.so.1")
        self.lib.sf_open.restype = ctypes.c_void_p
        self.lib.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(self.Info)]
        self.lib.sf_readf_float.restype = ctypes.c_int64
        self.lib.sf_readf_float.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.c_int64]
        self.lib.sf_close.argtypes = [ctypes.c_void_p]

    def reads(self, path):
        info = self.Info()
        handle = self.lib.sf_open(path.encode(), 0x10, ctypes.byref(info))  # SFM_READ
        if not handle:
            return False
        try:
            if info.channels < 1:
                return False
            buffer = (ctypes.c_float * (4096 * info.channels))()
            total = 0
            while (n := self.lib.sf_readf_float(handle, buffer, 4096)) > 0:
                total += n
            return total > 0
        finally:
            self.lib.sf_close(handle)


class VorbisFile:
    """libvorbisfile through ctypes: ov_fopen, then ov_read until the end."""
    def __init__(self):
        self.lib = ctypes.CDLL(ctypes.util.find_library("vorbisfile") or "libvorbisfile.so.3")
        # OggVorbis_File is under 1 KB on 64-bit Linux; 4 KB leaves room.
        self.lib.ov_fopen.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        self.lib.ov_read.restype = ctypes.c_long
        self.lib.ov_read.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                     ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        self.lib.ov_clear.argtypes = [ctypes.c_void_p]

    def reads(self, path):
        vf = ctypes.create_string_buffer(4096)
        if self.lib.ov_fopen(path.encode(), vf) != 0:
            return False
        try:
            buffer = ctypes.create_string_buffer(16384)
            link = ctypes.c_int()
            total = 0
            while True:
                n = self.lib.ov_read(vf, buffer, len(buffer), 0, 2, 1, ctypes.byref(link))
                if n == 0:
                    return total > 0
                if n == -3:  # OV_HOLE: a gap, decoding goes on
                    continue
                if n < 0:
                    return False
                total += n
        finally:
            self.lib.ov_clear(vf)


def is_regular(path):
    """Only regular files are opened: a FIFO would block open() for good, a device never end."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def files(paths):
    for path in paths:
        if path.startswith("@"):
            with open(path[1:]) as f:
                yield from (line.rstrip("\n") for line in f if line.strip())
        elif os.path.isdir(path):
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith(".") and name.rsplit(".", 1)[-1].lower() in EXTENSIONS:
                        yield os.path.join(folder, name)
        else:
            yield path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", help="write every refused file's results here")
    parser.add_argument("--list", action="store_true", help="name the refused files")
    args = parser.parse_args()

    found = sorted(set(files(args.paths)))
    paths = [path for path in found if is_regular(path)]
    if len(paths) < len(found):
        print(f"skipped {len(found) - len(paths)} that are not regular files (FIFOs, devices, broken links, folders)")
    with ThreadPoolExecutor(args.jobs) as pool:
        errors = list(pool.map(ffmpeg, paths))
    sndfile, vorbisfile = SndFile(), VorbisFile()
    refused = []
    for path, error in zip(paths, errors):
        if error is None:
            continue
        kind = container(path)
        refused.append({"path": path, "container": kind, "ffmpeg": error, "sox": sox(path),
                        "libsndfile": sndfile.reads(path),
                        "libvorbisfile": vorbisfile.reads(path) if kind.startswith("ogg") else None})

    by_container = defaultdict(int)
    for path in paths:
        by_container[container(path)] += 1
    print(f"{len(paths)} files: " + ", ".join(f"{n} {kind}" for kind, n in sorted(by_container.items())))
    print(f"FFmpeg decodes {len(paths) - len(refused)}, refuses {len(refused)}")
    groups = defaultdict(list)
    for entry in refused:
        groups[(entry["container"], entry["ffmpeg"])].append(entry)
    if groups:
        print()
        print("| container | FFmpeg's error | refused | sox reads | libsndfile reads | libvorbisfile reads |")
        print("|---|---|---:|---:|---:|---:|")
    for (kind, error), entries in sorted(groups.items(), key=lambda item: -len(item[1])):
        count = lambda key: sum(1 for e in entries if e[key])
        vorbis = str(count("libvorbisfile")) if kind.startswith("ogg") else "—"
        print(f"| {kind} | {error} | {len(entries)} | {count('sox')} | {count('libsndfile')} | {vorbis} |")
        if args.list:
            for e in entries:
                readers = [k for k in ("sox", "libsndfile", "libvorbisfile") if e[k]]
                print(f"|   | {e['path']} | | {'read by ' + ', '.join(readers) if readers else 'read by none'} | | |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"files": len(paths), "refused": refused}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
