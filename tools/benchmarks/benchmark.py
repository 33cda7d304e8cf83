"""Benchmark keyscan against the decode floor and the reference pipeline on one folder.

    benchmark.py --keyscan BINARY [--baseline BINARY [--baseline-arg ARG ...]] [--model PATH] [--jobs N]
                 [--repeat K] [--latency-file FILE] [--json OUT] [--skip-keyscan] [--skip-reference]
                 [--skip-latency] FOLDER

Runs side by side, on the same files and the same number of cores N (default: all):

  keyscan    `BINARY analyze --no-cache --jobs N [--model M] FOLDER` (no cache: every run analyzes)
  baseline   the same with --baseline's binary, e.g. a build of an earlier commit, to measure
             what a change costs (ratio keyscan / baseline); --baseline-arg adds arguments to
             its analyze (`--baseline-arg=--exact`: the same binary on the exact front end)
  decode     the decode floor: `ffmpeg -nostdin -threads 1 -i F -f null -` per file, N at a time
  reference  `keynet_reference.py --workers N FOLDER` (librosa + PyTorch, N one-thread workers)

and for each reports wall time; CPU time (user + sys of the process and every descendant it
reaped, from wait4); peak memory as the largest total RSS of the whole process tree, found by
polling /proc every 50 ms (what a user pays: all concurrent workers, or all concurrent ffmpegs,
together), and as the largest single process's ru_maxrss; the audio duration (sum of ffprobe's
durations); and the realtime factor (audio seconds per wall second). It also times single-file
latency, process start to exit with its JSON written, for the folder's first file (or
--latency-file), for keyscan and the baseline (`analyze --jobs 1`), the decode floor (ffmpeg
decoding that file alone) and the reference (one worker).

The systems run interleaved (the order rotates each repeat) so machine noise hits all equally;
with --repeat K each number is the median of K runs. Prints a Markdown table and the ratios
keyscan / decode floor and reference / keyscan; --json saves every raw number.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
REFERENCE = TOOLS / "common" / "keynet_reference.py"
POLL_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE")

sys.path.insert(0, str(TOOLS / "common"))  # the shared modules: see tools/README.md
from keynet_reference import AUDIO_EXTENSIONS, DEFAULT_MODEL  # noqa: E402  (light: no torch import)


@dataclass
class Run:
    """One measured run of one system."""

    system: str
    wall: float  # seconds
    cpu: float  # user + sys seconds of the processes and their reaped descendants
    user: float
    sys: float
    peak_tree_rss: int  # bytes, largest polled sum of RSS over all live processes of the run
    max_process_rss: int  # bytes, largest single process (ru_maxrss)
    exit_codes: list[int]
    results: int | None = None  # JSON results with status ok, where the system prints them


@dataclass
class Latency:
    system: str
    first_output: float  # seconds from start to the first byte on stdout
    exit: float  # seconds from start to exit


def audio_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS)


def duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def tree(pid: int) -> list[int]:
    """pid and all its live descendants (via /proc/PID/task/TID/children)."""
    found, stack = [], [pid]
    while stack:
        p = stack.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
    return found


def rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def measure(system: str, commands: list[list[str]], concurrency: int, stdout=subprocess.DEVNULL) -> Run:
    """Run commands, at most `concurrency` at once; times, CPU and memory of all of them together."""
    pending = list(commands)
    # Keep every Popen referenced: a collected one goes on subprocess's _active list and is
    # reaped by the next Popen, stealing the wait4 below.
    running: dict[int, subprocess.Popen] = {}
    user = sys_ = 0.0
    peak_tree = max_rss = 0
    codes = []
    start = time.perf_counter()
    while pending or running:
        while pending and len(running) < concurrency:
            command = pending.pop(0)
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL)
            running[process.pid] = process
        for pid in list(running):
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                del running[pid]
                codes.append(os.waitstatus_to_exitcode(status))
                user += usage.ru_utime
                sys_ += usage.ru_stime
                max_rss = max(max_rss, usage.ru_maxrss * 1024)  # KiB on Linux
        if running:
            peak_tree = max(peak_tree, sum(rss(p) for pid in running for p in tree(pid)))
            if not pending or len(running) >= concurrency:
                time.sleep(POLL_SECONDS)
    wall = time.perf_counter() - start
    return Run(system, wall, user + sys_, user, sys_, peak_tree, max_rss, codes)


def count_ok(path: Path) -> int:
    """Results with a Camelot key in a JSON array or JSON-lines output (0 if unreadable)."""
    text = path.read_text()
    try:
        items = json.loads(text) if text.lstrip().startswith("[") else \
            [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]
    except json.JSONDecodeError:
        return 0
    if isinstance(items, dict):
        items = items.get("results", [])
    return sum(1 for i in items if isinstance(i, dict) and i.get("camelot")
               and str(i.get("status", "ok")).lower() not in ("error", "failed"))


def measure_json(system: str, command: list[str]) -> Run:
    with tempfile.NamedTemporaryFile(prefix=f"bench-{system}-", suffix=".json") as out:
        run = measure(system, [command], 1, stdout=out)
        run.results = count_ok(Path(out.name))
    return run


def latency(system: str, command: list[str]) -> Latency:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = None
    while True:
        ready, _, _ = select.select([process.stdout], [], [], 1.0)
        if ready:
            chunk = os.read(process.stdout.fileno(), 65536)
            if first is None and chunk:
                first = time.perf_counter() - start
            if not chunk:
                break
    process.wait()
    end = time.perf_counter() - start
    if process.returncode != 0:
        print(f"warning: {system} latency run exited {process.returncode}", file=sys.stderr)
    return Latency(system, first if first is not None else end, end)


def median_run(runs: list[Run]) -> Run:
    m = statistics.median
    return Run(runs[0].system, m(r.wall for r in runs), m(r.cpu for r in runs), m(r.user for r in runs),
               m(r.sys for r in runs), int(m(r.peak_tree_rss for r in runs)), int(m(r.max_process_rss for r in runs)),
               sorted({c for r in runs for c in r.exit_codes}),
               None if runs[0].results is None else min(r.results for r in runs))


def mib(n: int) -> str:
    return f"{n / 2**20:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="folder of audio files (recursive)")
    parser.add_argument("--keyscan", type=Path, help="keyscan binary")
    parser.add_argument("--baseline", type=Path, help="a second keyscan binary run side by side (e.g. an earlier build)")
    parser.add_argument("--baseline-arg", action="append", default=[], metavar="ARG",
                        help="an argument added to the baseline's analyze (repeatable), e.g. --baseline-arg=--exact")
    parser.add_argument("--latency-file", type=Path, help="the file single-file latency is timed on (default: the folder's first)")
    parser.add_argument("--model", type=Path, help="weights passed to keyscan as --model")
    parser.add_argument("--reference-model", type=Path, default=DEFAULT_MODEL,
                        help=f"reference checkpoint (default {DEFAULT_MODEL})")
    parser.add_argument("--python", default=sys.executable, help="Python that runs keynet_reference.py")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="cores for every system (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each system; medians reported (default 1)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="save raw numbers as JSON")
    parser.add_argument("--skip-keyscan", action="store_true", help="do not run keyscan")
    parser.add_argument("--skip-reference", action="store_true", help="do not run the reference pipeline")
    parser.add_argument("--skip-latency", action="store_true", help="do not time single-file latency")
    args = parser.parse_args()
    if not args.skip_keyscan and (args.keyscan is None or not os.access(args.keyscan, os.X_OK)):
        parser.error("--keyscan BINARY (executable) is required unless --skip-keyscan")
    if args.jobs < 1 or args.repeat < 1:
        parser.error("--jobs and --repeat must be at least 1")
    files = audio_files(args.folder)
    if not files:
        parser.error(f"no audio files in {args.folder}")

    folder = str(args.folder.resolve())
    model = ["--model", str(args.model)] if args.model else []
    systems = {}
    if not args.skip_keyscan:
        keyscan = str(args.keyscan.resolve())
        systems["keyscan"] = lambda: measure_json("keyscan", [keyscan, "analyze", "--no-cache", "--jobs", str(args.jobs),
                                                              *model, folder])
        if args.baseline:
            baseline = str(args.baseline.resolve())
            systems["baseline"] = lambda: measure_json("baseline", [baseline, "analyze", "--no-cache", "--jobs",
                                                                    str(args.jobs), *model, *args.baseline_arg, folder])
    systems["decode"] = lambda: measure(
        "decode", [["ffmpeg", "-nostdin", "-threads", "1", "-i", str(f), "-f", "null", "-"] for f in files], args.jobs)
    if not args.skip_reference:
        reference = [args.python, str(REFERENCE), "--model", str(args.reference_model)]
        systems["reference"] = lambda: measure_json("reference", [*reference, "--workers", str(args.jobs), folder])
    latencies = {}
    if not args.skip_latency:
        first = str((args.latency_file or files[0]).resolve())
        if not args.skip_keyscan:
            latencies["keyscan"] = lambda: latency("keyscan", [keyscan, "analyze", "--no-cache", "--jobs", "1", *model, first])
            if args.baseline:
                latencies["baseline"] = lambda: latency("baseline", [baseline, "analyze", "--no-cache", "--jobs", "1",
                                                                     *model, *args.baseline_arg, first])
        latencies["decode"] = lambda: latency("decode", ["ffmpeg", "-nostdin", "-threads", "1", "-i", first, "-f", "null", "-"])
        if not args.skip_reference:
            latencies["reference"] = lambda: latency("reference", [*reference, first])

    audio = sum(duration(f) for f in files)
    load_before = os.getloadavg()[0]
    print(f"{len(files)} files, {audio / 60:.1f} min of audio, {args.jobs} jobs, {args.repeat} repeat(s)",
          file=sys.stderr)
    runs: dict[str, list[Run]] = {name: [] for name in systems}
    lats: dict[str, list[Latency]] = {name: [] for name in latencies}
    names = list(systems)
    for k in range(args.repeat):
        order = names[k % len(names):] + names[:k % len(names)]  # rotate so each goes first in turn
        for name in order:
            run = systems[name]()
            runs[name].append(run)
            print(f"  run {k + 1} {name}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, "
                  f"{mib(run.peak_tree_rss)} MiB peak", file=sys.stderr)
        for name in list(latencies)[k % max(1, len(latencies)):] + list(latencies)[:k % max(1, len(latencies))]:
            lat = latencies[name]()
            lats[name].append(lat)
            print(f"  run {k + 1} {name} latency: {lat.exit:.2f} s", file=sys.stderr)

    load_after = os.getloadavg()[0]
    medians = {name: median_run(r) for name, r in runs.items()}
    lat_medians = {name: statistics.median(l.exit for l in ls) for name, ls in lats.items()}
    labels = {"keyscan": "keyscan", "baseline": "keyscan baseline", "decode": "decode floor (ffmpeg)", "reference": "reference (librosa+PyTorch)"}
    print(f"\n{len(files)} files, {audio / 60:.1f} min of audio; {args.jobs} jobs; "
          f"median of {args.repeat}; {os.cpu_count()} cores ({_cpu_model()}); "
          f"load average {load_before:.1f} before, {load_after:.1f} after\n")
    print("| system | wall s | CPU s | peak RSS, tree MiB | largest process MiB | × realtime | results | 1-file latency s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in medians.items():
        results = "—" if r.results is None else f"{r.results}/{len(files)}"
        lat = f"{lat_medians[name]:.2f}" if name in lat_medians else "—"
        bad = "" if r.exit_codes == [0] else f" (exit {r.exit_codes})"
        print(f"| {labels[name]}{bad} | {r.wall:.2f} | {r.cpu:.2f} | {mib(r.peak_tree_rss)} | {mib(r.max_process_rss)} "
              f"| {audio / r.wall:.0f} | {results} | {lat} |")

    def ratio(a: str, b: str) -> None:
        if a in medians and b in medians:
            x, y = medians[a], medians[b]
            text = (f"{a} / {b}: wall {x.wall / y.wall:.2f}×, CPU {x.cpu / y.cpu:.2f}×, "
                    f"peak RSS {x.peak_tree_rss / max(1, y.peak_tree_rss):.2f}×")
            if a in lat_medians and b in lat_medians:
                text += f", latency {lat_medians[a] / lat_medians[b]:.2f}×"
            print(text)

    print()
    ratio("keyscan", "baseline")
    ratio("keyscan", "decode")
    ratio("baseline", "decode")
    ratio("reference", "keyscan")
    ratio("reference", "decode")

    if args.json:
        report = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"node": platform.node(), "cores": os.cpu_count(), "processor": _cpu_model(),
                        "kernel": platform.release()},
            "folder": folder, "files": len(files), "audio_seconds": audio, "jobs": args.jobs, "repeat": args.repeat,
            "poll_seconds": POLL_SECONDS, "load_average_1min": [load_before, load_after],
            "runs": {name: [asdict(r) for r in rs] for name, rs in runs.items()},
            "medians": {name: asdict(r) for name, r in medians.items()},
            "latency": {name: [asdict(l) for l in ls] for name, ls in lats.items()},
            "latency_file": str((args.latency_file or files[0]).resolve()),
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    failed = any(r.exit_codes != [0] for r in medians.values())
    return 1 if failed else 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
