#!/usr/bin/env python3
"""keyscan analyze's memory while it works through a long --files-from list.

    tools/benchmarks/manifest_memory.py --keyscan .build/release/keyscan [--paths 10000] [--format jsonl]

Makes PATHS entries in a temporary folder: hard links to five short synthesised WAVs
(a link is a file of its own, with its own real path, so each is analyzed), with one
path in ten missing; pipes the list to `keyscan analyze --files-from - --format FORMAT
--no-cache --jobs 2` and reads the resident memory of the process (VmRSS in
/proc/PID/status) as results come out, so it shows memory against the number of files
done. Prints one row per thousand results and the peak (VmHWM).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time


def rss_kib(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keyscan", required=True)
    parser.add_argument("--paths", type=int, default=10000)
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "json", "csv"])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="keyscan-manifest-")
    try:
        sources = []
        for i, freq in enumerate([220, 262, 330, 392, 440]):
            path = os.path.join(work, f"source{i}.wav")
            subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                            f"aevalsrc=0.3*sin(2*PI*{freq}*t)+0.3*sin(2*PI*{freq}*1.26*t)+0.3*sin(2*PI*{freq}*1.5*t):s=44100:d=3",
                            "-ac", "1", path], check=True)
            sources.append(path)
        folder = os.path.join(work, "links")
        os.mkdir(folder)
        lines = []
        for n in range(args.paths):
            path = os.path.join(folder, f"track-{n:06d}.wav")
            if n % 10 == 9:
                lines.append(path + ".missing")
            else:
                os.link(sources[n % len(sources)], path)
                lines.append(path)
        manifest = "\n".join(lines) + "\n"

        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"))
        started = time.monotonic()
        process = subprocess.Popen([args.keyscan, "analyze", "--files-from", "-", "--format", args.format,
                                    "--no-cache", "--jobs", str(args.jobs), "--quiet"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        feeder = threading.Thread(target=lambda: (process.stdin.write(manifest.encode()), process.stdin.close()))
        feeder.start()
        samples = []  # (results so far, RSS KiB)
        done = 0
        peak = 0
        header = args.format == "csv"
        for line in process.stdout:
            if header:
                header = False
                continue
            if args.format != "json" or line.lstrip().startswith(b"{"):
                done += 1
            if done % 250 == 0:
                rss = rss_kib(process.pid)
                if rss:
                    samples.append((done, rss))
                    peak = max(peak, rss_kib(process.pid, "VmHWM") or 0)
        process.wait()
        feeder.join()
        seconds = time.monotonic() - started
        print(f"keyscan analyze --files-from - --format {args.format} --jobs {args.jobs}: {args.paths} paths "
              f"({args.paths // 10} missing), {done} results, {seconds:.1f} s, exit status {process.returncode}")
        print("| results written | RSS MiB |")
        print("|---:|---:|")
        shown = set()
        for count, rss in samples:
            if count % 1000 == 0 and count not in shown:
                shown.add(count)
                print(f"| {count:,} | {rss / 1024:.1f} |")
        print(f"peak (VmHWM, last sample): {peak / 1024:.1f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
