#!/usr/bin/env python3
"""The Ray runner against keyscan analyze on the same files and cores, side by side.

    tools/benchmarks/ray_vs_analyze.py --keyscan .build/release/keyscan [--python .venv-ci/bin/python]
                                       [--repeats 3] [--batch-size N] FOLDER

Starts a Ray cluster of this machine (`ray start --head --num-cpus 2`, as a user's cluster
would already be running), then, interleaved and repeated, in a rotating order:
- `keyscan analyze --jobs 2 --no-cache --format jsonl --files-from MANIFEST`;
- `keyscan_ray.py MANIFEST OUT --workers 2 --no-cache --address ...` (a fresh OUT each time);
- the same with `--workers 1`.
Wall time is the whole command, from process start to exit: for the runner that includes
connecting to the cluster, starting the actors and their keyscan serve (model load) and
writing Parquet. While each runs, /proc is polled every 0.2 s for the resident memory of
each keyscan process and each Ray actor. Prints a Markdown table of medians, the ratios,
and a paper estimate for 10 million tracks from the measured throughput.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")
AUDIO = (".mp3", ".ogg", ".flac", ".wav", ".opus", ".m4a")


def audio_seconds(paths):
    total = 0.0
    for path in paths:
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                             capture_output=True, text=True).stdout.strip()
        total += float(out or 0)
    return total


class MemoryPoll:
    """Peak resident memory of keyscan processes and Ray actors while a command runs."""

    def __init__(self, keyscan):
        self.keyscan = os.path.realpath(keyscan)
        self.peaks = {}  # pid -> (kind, peak KiB)
        self.cpu = {}  # pid -> (kind, CPU seconds when last seen)
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
                    kind = None
                    if cmdline.startswith(self.keyscan + " serve"):
                        kind = "keyscan serve"
                    elif cmdline.startswith(self.keyscan + " analyze"):
                        kind = "keyscan analyze"
                    elif "MapBatches(KeyscanActor)" in cmdline:
                        kind = "Ray actor"
                    if kind is None:
                        continue
                    with open(f"/proc/{pid}/status") as f:
                        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime
                except (OSError, StopIteration, IndexError, ValueError):
                    continue
                old = self.peaks.get(pid, (kind, 0))[1]
                self.peaks[pid] = (kind, max(old, rss))
                self.cpu[pid] = (kind, cpu)
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.thread.join()
        by_kind = {}
        for kind, peak in self.peaks.values():
            by_kind.setdefault(kind, []).append(peak / 1024)
        result = {kind: max(values) for kind, values in by_kind.items()}
        # CPU of keyscan's own processes (last sample, up to 0.2 s short of the end).
        result["keyscan CPU s"] = sum(cpu for kind, cpu in self.cpu.values() if kind.startswith("keyscan"))
        return result


def timed(command, keyscan, env, stdout=subprocess.DEVNULL):
    poll = MemoryPoll(keyscan)
    started = time.monotonic()
    # A session of its own for every command, as the Ray cluster has: with the kernel's
    # autogroup scheduling (on here) CPU is shared between sessions, so each system then
    # competes with the machine's other work on the same terms.
    result = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE, env=env, text=True,
                            start_new_session=True)
    seconds = time.monotonic() - started
    memory = poll.stop()
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return seconds, memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--keyscan", required=True)
    parser.add_argument("--python", default=sys.executable, help="a Python with tools/distributed/requirements.txt")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, help="passed to keyscan_ray.py (default: its own)")
    args = parser.parse_args()
    # Stopped with SIGTERM (or SIGINT, which a background job ignores), still stop the cluster.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    keyscan = os.path.realpath(args.keyscan)
    python = os.path.abspath(args.python)
    ray = os.path.join(os.path.dirname(python), "ray")
    runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "distributed", "keyscan_ray.py")

    files = sorted(os.path.join(args.folder, name) for name in os.listdir(args.folder) if name.lower().endswith(AUDIO))
    # keyscan analyze analyzes a file named twice once, the runner each time: one name each.
    distinct = {}
    for path in files:
        distinct.setdefault(os.path.realpath(path), path)
    if len(distinct) < len(files):
        print(f"{len(files) - len(distinct)} names of files named before left out")
    files = sorted(distinct.values())
    seconds_of_audio = audio_seconds(files)
    work = tempfile.mkdtemp(prefix="kbench.", dir="/tmp")
    manifest = os.path.join(work, "manifest.txt")
    with open(manifest, "w") as f:
        f.write("\n".join(os.path.abspath(p) for p in files) + "\n")
    # A home of its own: Ray keeps state in ~/.ray.
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"), RAY_DISABLE_USAGE_STATS="1",
               HOME=os.path.join(work, "home"))
    os.makedirs(env["HOME"])
    print(f"{len(files)} files, {seconds_of_audio / 60:.1f} min of audio, in {args.folder}; "
          f"load average before: {os.getloadavg()}", flush=True)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    started = time.monotonic()
    # Ray runs its workers, and so keyscan serve, at nice 15 (RAY_worker_niceness), below
    # everything else on the node; keyscan analyze runs at 0. On a shared machine that alone
    # would decide the race: same niceness for both.
    head = subprocess.Popen([ray, "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}",
                             "--num-cpus=2", "--object-store-memory=200000000", "--include-dashboard=false",
                             "--disable-usage-stats", f"--temp-dir={work}/ray"],
                            stdout=open(os.path.join(work, "ray.log"), "w"), stderr=subprocess.STDOUT,
                            env=dict(env, RAY_worker_niceness="0"),
                            start_new_session=True)
    try:
        while "Ray runtime started" not in open(os.path.join(work, "ray.log")).read():
            if head.poll() is not None:
                sys.exit(open(os.path.join(work, "ray.log")).read())
            time.sleep(0.5)
        print(f"ray start --head: {time.monotonic() - started:.1f} s", flush=True)

        def analyze():
            return timed([keyscan, "analyze", "--jobs", "2", "--no-cache", "--quiet", "--format", "jsonl",
                          "--files-from", manifest], keyscan, env)

        def ray_run(workers):
            def run():
                out = tempfile.mkdtemp(prefix="out.", dir=work)
                command = [python, runner, manifest, out, "--workers", str(workers), "--address", f"127.0.0.1:{port}",
                           "--keyscan", keyscan, "--no-cache"]
                if args.batch_size:
                    command += ["--batch-size", str(args.batch_size)]
                seconds, memory = timed(command, keyscan, env)
                size = sum(os.path.getsize(os.path.join(out, n)) for n in os.listdir(out) if n.endswith(".parquet"))
                memory["parquet bytes"] = size
                return seconds, memory
            return run

        systems = [("keyscan analyze --jobs 2", analyze), ("Ray runner, 2 workers", ray_run(2)),
                   ("Ray runner, 1 worker", ray_run(1))]
        results = {name: [] for name, _ in systems}
        for repeat in range(args.repeats):
            order = systems[repeat % len(systems):] + systems[:repeat % len(systems)]
            for name, run in order:
                seconds, memory = run()
                results[name].append((seconds, memory))
                print(f"  run {repeat + 1}: {name}: {seconds:.2f} s, {json.dumps(memory)}", flush=True)
        print(f"load average after: {os.getloadavg()}")

        print("\n| system | wall s (median) | runs | keyscan CPU s (median) | × realtime | peak MiB per process |")
        print("|---|---:|---|---:|---:|---|")
        medians = {}
        for name, runs in results.items():
            walls = [s for s, _ in runs]
            medians[name] = statistics.median(walls)
            peaks = {}
            for _, memory in runs:
                for kind, value in memory.items():
                    if kind not in ("parquet bytes", "keyscan CPU s"):
                        peaks[kind] = max(peaks.get(kind, 0), value)
            cpu = statistics.median(m["keyscan CPU s"] for _, m in runs)
            peak_text = ", ".join(f"{kind} {value:.0f}" for kind, value in sorted(peaks.items()))
            print(f"| {name} | {medians[name]:.2f} | {', '.join(f'{w:.1f}' for w in walls)} | {cpu:.1f} | "
                  f"{seconds_of_audio / medians[name]:.0f} | {peak_text} |")
        two, one, base = medians["Ray runner, 2 workers"], medians["Ray runner, 1 worker"], medians["keyscan analyze --jobs 2"]
        print(f"\nRay 2 workers / analyze --jobs 2: {two / base:.3f} (overhead {100 * (two / base - 1):+.1f} %)")
        print(f"Ray 1 worker / Ray 2 workers: {one / two:.2f}× the time")

        # Audio seconds per CPU second of keyscan: what a dedicated core does. (Wall time × 2
        # cores would count the time other work on this shared machine took.)
        per_core = seconds_of_audio / statistics.median(m["keyscan CPU s"] for _, m in results["keyscan analyze --jobs 2"])
        per_core_ray = seconds_of_audio / statistics.median(m["keyscan CPU s"] for _, m in results["Ray runner, 2 workers"])
        print(f"per core, wall × 2 cores of analyze --jobs 2: {seconds_of_audio / (base * 2):.0f}× realtime; "
              f"by keyscan's CPU time: analyze {per_core:.0f}×, Ray runner {per_core_ray:.0f}×")
        tracks, track_seconds = 10_000_000, 240
        core_hours = tracks * track_seconds / per_core_ray / 3600
        parquet = statistics.median(m["parquet bytes"] for _, m in results["Ray runner, 2 workers"])
        print(f"10 million 4-minute tracks: {core_hours:,.0f} core-hours; "
              f"Parquet ≈ {parquet / len(files) * tracks / 1e9:.2f} GB ({parquet / len(files):.0f} bytes a row here)")
    finally:
        # The head has a session of its own, which every Ray process stays in (workers have
        # process groups of their own): stop the head, then what is left of the session.
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        left = subprocess.run(["ps", "-o", "pid=", "-s", str(head.pid)], capture_output=True, text=True).stdout
        for pid in left.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
