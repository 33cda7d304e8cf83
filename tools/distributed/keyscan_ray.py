#!/usr/bin/env python3
"""Analyze a catalogue with keyscan on a Ray cluster; results as Parquet.

    keyscan_ray.py MANIFEST OUT_DIR [--workers N] [--address ADDR] [--keyscan PATH]

MANIFEST is a text file of audio paths, one per line, on a filesystem every node sees.
Ray Data reads it and spreads it in batches over an actor pool; every actor keeps one
`keyscan serve` process for its whole life (the model loads once per worker) and sends it
the batch's paths as NDJSON requests. Rows go to OUT_DIR as Parquet files, one row per
file (COLUMNS below), errors included. A file whose rows are already in OUT_DIR is not
analyzed again, so re-running after a crash, or with a manifest that grew, does only
what is left.

Failures, from the smallest up:
- a file keyscan cannot analyze gets its error row (keyscan's error code and message);
- a `keyscan serve` that dies or hangs is restarted by its actor, and the requests it had
  not answered are sent again; a file it was analyzing when it died twice gets an error
  row (`worker_crashed`) instead of a third try;
- an actor that dies (its node lost, the process killed) is restarted by Ray, which runs
  the batch it held again;
- the driver dying loses only rows not yet written; the next run does those files again.
"""

import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

# One row per file. `status` is keyscan analyze's: ok, no_key or error; a no_key row gives
# the reason's code and message in error_code / error_message, as keyscan's CSV does.
SCHEMA = pa.schema([
    ("path", pa.string()),
    ("status", pa.string()),
    ("key", pa.string()),
    ("camelot", pa.string()),
    ("openkey", pa.string()),
    ("confidence", pa.float64()),
    ("duration_s", pa.float64()),
    ("error_code", pa.string()),
    ("error_message", pa.string()),
    ("keyscan_version", pa.string()),
    ("model", pa.string()),
])
COLUMNS = SCHEMA.names
# Paths per file of the pending list the driver writes for Ray to read.
PART_LINES = 4096

# For the test only (tools/distributed/test_ray_runner.sh): a folder in which the first
# batch to claim "serve" kills its keyscan serve process mid-batch, and the next to claim
# "actor" kills its own actor process mid-batch, as a crash or a lost node would.
TEST_KILL_VARIABLE = "KEYSCAN_RAY_TEST_KILL_DIR"


class KeyscanServer:
    """One `keyscan serve -w 1 --cpus 1` child, driven through its NDJSON protocol (docs/serve.md)."""

    # keyscan sends a heartbeat every 30 s, even while a file is being analyzed: this much
    # silence means the process is stuck, and it is killed and restarted.
    SILENCE_SECONDS = 120
    # Requests sent ahead of the replies: enough to keep keyscan busy between files, few
    # enough that the replies never fill the pipe while requests are being written.
    WINDOW = 4
    # A file that was being analyzed when keyscan died this often gets an error row.
    CRASH_LIMIT = 2

    def __init__(self, keyscan, serve_args):
        # One file at a time on the one CPU Ray gives the actor: with more threads than that
        # a file's transform and network only wait for each other.
        self.command = [keyscan, "serve", "-w", "1", "--cpus", "1", *serve_args]
        self.process = None
        self.version = None
        self.model = None
        self.crashes = {}
        self.next_id = 0
        self.start()

    def start(self):
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        bufsize=0, start_new_session=True)
        self.buffer = b""
        ready = self.read_line(timeout=self.SILENCE_SECONDS)
        while ready is not None and ready.get("type") == "heartbeat":
            ready = self.read_line(timeout=self.SILENCE_SECONDS)
        if ready is None or ready.get("type") != "ready":
            code = self.stop()
            raise RuntimeError(f"{' '.join(self.command)} did not start (exit status {code}); see its stderr in the worker's log")
        self.version = ready.get("version") or self.version_from_option()
        self.model = ready.get("model") or ""

    def version_from_option(self):
        """Older keyscans say no version in their ready message; `--version` does."""
        try:
            return subprocess.run([self.command[0], "--version"], capture_output=True, text=True,
                                  timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    def stop(self):
        """Kills the child (if still running) and returns its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.kill()
        code = self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()
        self.process = None
        return code

    def read_line(self, timeout):
        """The next JSON object keyscan writes; None at end of output or after `timeout` s."""
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            value = json.loads(line)
        except ValueError:
            return {"type": "unparseable", "text": line[:200].decode("utf-8", "replace")}
        return value if isinstance(value, dict) else {"type": "unparseable"}

    def send(self, request_id, path):
        self.process.stdin.write((json.dumps({"id": request_id, "path": path}) + "\n").encode())

    def analyze(self, paths, on_sent=None):
        """Rows for `paths`, in their order; keyscan restarted as often as it dies."""
        rows = {}
        waiting = list(range(len(paths)))  # indices not answered, in the order sent
        while waiting:
            in_flight = {}  # request id -> index
            pending = list(waiting)
            try:
                while pending or in_flight:
                    while pending and len(in_flight) < self.WINDOW:
                        index = pending.pop(0)
                        self.next_id += 1
                        in_flight[self.next_id] = index
                        self.send(self.next_id, paths[index])
                    if on_sent:
                        on_sent(self)
                        on_sent = None
                    reply = self.read_line(timeout=self.SILENCE_SECONDS)
                    if reply is None:
                        raise ConnectionError("no reply")
                    index = in_flight.pop(reply.get("id"), None)
                    if index is None:
                        continue  # ready, heartbeat, or a reply to an abandoned request
                    rows[index] = self.row(paths[index], reply)
            except (ConnectionError, BrokenPipeError):
                # Dead or stuck. With one worker keyscan answers in order, so the oldest
                # request still in flight is the file it was analyzing.
                suspect = min(in_flight.items(), default=(None, None), key=lambda item: item[0])[1]
                code = self.stop()
                if suspect is not None:
                    path = paths[suspect]
                    self.crashes[path] = self.crashes.get(path, 0) + 1
                    print(f"keyscan_ray: keyscan serve exited (status {code}) while analyzing {path}; restarting it",
                          file=sys.stderr, flush=True)
                    if self.crashes[path] >= self.CRASH_LIMIT:
                        rows[suspect] = self.error_row(path, "worker_crashed",
                                                       f"keyscan serve died {self.crashes[path]} times analyzing this "
                                                       f"file (last exit status {code})")
                self.start()
            waiting = [index for index in waiting if index not in rows]
        return [rows[index] for index in range(len(paths))]

    def row(self, path, reply):
        """A Parquet row from a serve reply (docs/serve.md: the protocol's success and error lines)."""
        base = dict.fromkeys(COLUMNS)
        base.update(path=path, keyscan_version=self.version, model=self.model)
        if reply.get("status") == "success":
            base.update(status="ok", key=reply.get("key"), camelot=reply.get("camelot"), openkey=reply.get("openkey"),
                        confidence=reply.get("confidence"), duration_s=reply.get("duration_s"))
        else:
            base.update(status="no_key" if reply.get("no_key") else "error",
                        error_code=reply.get("error_code") or "error", error_message=reply.get("error"),
                        duration_s=reply.get("duration_s"))
        return base

    def error_row(self, path, code, message):
        row = dict.fromkeys(COLUMNS)
        row.update(path=path, status="error", error_code=code, error_message=message,
                   keyscan_version=self.version, model=self.model)
        return row


class KeyscanActor:
    """A Ray Data actor: one persistent keyscan serve, fed one batch of paths at a time."""

    def __init__(self, keyscan, serve_args, test_kill_dir=None):
        self.server = KeyscanServer(keyscan, serve_args)
        self.test_kill_dir = test_kill_dir

    def __call__(self, batch):
        paths = [str(path) for path in batch["text"]]
        table = pa.Table.from_pylist(self.server.analyze(paths, on_sent=self.test_kill()), schema=SCHEMA)
        return table

    def test_kill(self):
        """The test's kill, once per run and kind (see TEST_KILL_VARIABLE), after the batch's first requests."""
        if not self.test_kill_dir:
            return None
        for kind in ("serve", "actor"):
            try:
                os.mkdir(os.path.join(self.test_kill_dir, kind))
            except FileExistsError:
                continue
            if kind == "serve":
                return lambda server: os.kill(server.process.pid, signal.SIGKILL)
            return lambda server: os.kill(os.getpid(), signal.SIGKILL)
        return None


def done_paths(out_dir):
    """Paths that have a row in OUT_DIR. A Parquet file that cannot be read (a write cut
    short) is renamed to *.unreadable, so its files are done again and readers of OUT_DIR
    never meet it."""
    done = set()
    for name in sorted(os.listdir(out_dir)):
        if not name.endswith(".parquet") or name.startswith((".", "_")):
            continue
        path = os.path.join(out_dir, name)
        try:
            done.update(pq.read_table(path, columns=["path"]).column("path").to_pylist())
        except (OSError, pa.ArrowException) as error:
            print(f"keyscan_ray: {path} is unreadable ({error}); renamed to {name}.unreadable, its files are done again",
                  file=sys.stderr)
            os.replace(path, path + ".unreadable")
    return done


def pending_manifest(manifest, out_dir, done, run_id):
    """Writes the manifest's paths without a row yet (each once) to a folder in OUT_DIR, in
    files of PART_LINES paths (so Ray reads the list in parallel, streaming); returns the
    folder and the counts (listed, already done, to do)."""
    folder = os.path.join(out_dir, f"_pending-{run_id}")
    os.makedirs(folder)
    seen = set()
    listed = skipped = todo = 0
    part = None
    with open(manifest, encoding="utf-8", errors="surrogateescape", newline="\n") as lines:
        for line in lines:
            path = line.rstrip("\n").rstrip("\r")
            if not path.strip() or path in seen:
                continue
            seen.add(path)
            listed += 1
            if path in done:
                skipped += 1
                continue
            if todo % PART_LINES == 0:
                if part:
                    part.close()
                part = open(os.path.join(folder, f"part-{todo // PART_LINES:06d}.txt"), "w",
                            encoding="utf-8", errors="surrogateescape")
            part.write(path + "\n")
            todo += 1
    if part:
        part.close()
    return folder, listed, skipped, todo


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", help="text file of audio paths, one per line (on a filesystem every node sees)")
    parser.add_argument("out_dir", help="folder for the Parquet results (created if needed)")
    parser.add_argument("--workers", type=int, help="actors, each with one keyscan serve (default: the cluster's CPUs)")
    parser.add_argument("--address", help="Ray cluster to join (host:port or 'auto'); default: start one on this machine")
    parser.add_argument("--keyscan", default=shutil.which("keyscan"),
                        help="the keyscan executable, at the same path on every node (default: keyscan on PATH)")
    parser.add_argument("--model", help="KeyNet weights for keyscan serve -m (default: keyscan's own)")
    parser.add_argument("--no-cache", action="store_true", help="pass --no-cache to keyscan serve")
    parser.add_argument("--batch-size", type=int, default=16, help="paths per Ray task (default 16)")
    parser.add_argument("--rows-per-file", type=int, default=1000,
                        help="rows gathered into each Parquet file (default 1000); unwritten rows are lost if the driver dies")
    args = parser.parse_args(argv)
    if not args.keyscan:
        parser.error("keyscan is not on PATH; give --keyscan")
    keyscan = os.path.abspath(args.keyscan) if os.sep in args.keyscan else args.keyscan
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if not os.path.isfile(args.manifest):
        parser.error(f"no manifest at {args.manifest}")

    os.makedirs(args.out_dir, exist_ok=True)
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    done = done_paths(args.out_dir)
    pending, listed, skipped, todo = pending_manifest(args.manifest, args.out_dir, done, run_id)
    print(f"keyscan_ray: {listed} files in {args.manifest}: {skipped} done already, {todo} to analyze", file=sys.stderr)
    if todo == 0:
        shutil.rmtree(pending)
        return 0

    import ray  # only when there is work: a finished catalogue needs no cluster
    import ray.data

    serve_args = (["-m", os.path.abspath(args.model)] if args.model else []) + (["--no-cache"] if args.no_cache else [])
    if args.address:
        ray.init(address=args.address, log_to_driver=True)
    else:
        # A cluster of this machine alone: a small object store, as rows are small.
        ray.init(object_store_memory=256 << 20)
    workers = args.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = sys.stderr.isatty()

    started = time.monotonic()
    # Reading the list and writing Parquet are light I/O: they take no CPU of their own, so
    # that the actors can have every CPU (with one each, on a 2-CPU machine, a read or write
    # task asking for a CPU would wait for ever).
    # Ray Data gives each block to one actor, and reads a file as one block unless told to
    # split it: ask for a block per batch, so that every actor gets work.
    dataset = ray.data.read_text(os.path.abspath(pending), drop_empty_lines=True, num_cpus=0,
                                 override_num_blocks=-(-todo // args.batch_size))
    # Ray Data restarts a dead actor and runs its batch again (max_restarts and
    # max_task_retries default to -1 for actor pools: a lost node is not a failed job).
    rows = dataset.map_batches(
        KeyscanActor,
        fn_constructor_kwargs={"keyscan": keyscan, "serve_args": serve_args,
                               "test_kill_dir": os.environ.get(TEST_KILL_VARIABLE)},
        batch_size=args.batch_size, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1)
    rows.write_parquet(os.path.abspath(args.out_dir), min_rows_per_file=args.rows_per_file,
                       filename_provider=RunFilenames(run_id), ray_remote_args={"num_cpus": 0})
    seconds = time.monotonic() - started
    shutil.rmtree(pending)

    written = pq.ParquetDataset([os.path.join(args.out_dir, name) for name in os.listdir(args.out_dir)
                                 if name.startswith(f"keyscan-{run_id}-")]).read(columns=["status"])
    counts = {}
    for status in written.column("status").to_pylist():
        counts[status] = counts.get(status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"keyscan_ray: {written.num_rows} rows written in {seconds:.1f} s with {workers} workers ({summary})",
          file=sys.stderr)
    if written.num_rows != todo:
        print(f"keyscan_ray: {todo} files were to be analyzed but {written.num_rows} rows were written", file=sys.stderr)
        return 2
    return 1 if counts.get("error") else 0


try:
    from ray.data.datasource.filename_provider import FilenameProvider
except ImportError:  # ray not installed: the module still imports, for --help
    FilenameProvider = object


class RunFilenames(FilenameProvider):
    """Parquet files named keyscan-RUN-WRITE-TASK.parquet: a run's files are told apart
    from earlier runs' (which a re-run adds to, never replaces)."""

    def __init__(self, run_id):
        super().__init__(file_format="parquet")
        self.run_id = run_id

    def get_filename_for_task(self, write_uuid, task_index):
        return f"keyscan-{self.run_id}-{write_uuid}-{task_index:06d}.parquet"


if __name__ == "__main__":
    # Exit status: 0 every file analyzed, 1 some files failed (each has its error row),
    # 2 the run itself failed (usage, cluster, keyscan would not start): re-run to finish.
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the one place that turns any failure into status 2
        import traceback
        traceback.print_exc()
        print(f"keyscan_ray: the run failed: {error}; rows written so far are kept, re-run to finish", file=sys.stderr)
        sys.exit(2)
