"""Adds the musical key found by keyscan to beets items.

`beet keyscan [QUERY]` analyzes the selected items with one keyscan process
for all of them: their paths go to `keyscan analyze --files-from - --null` on
stdin and each result comes back on stdout as one JSON line as soon as its
file is done (`--format jsonl`), so items are updated while the batch runs and
keyscan's cache makes a rerun instant. The key goes into `initial_key`, in the
notation the config asks for; confidence, Camelot key, tuning and the number
of key changes go into flexible attributes. With `auto`, imported items are
analyzed the same way, one keyscan process per import task.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from beets import ui, util
from beets.dbcore import types
from beets.plugins import BeetsPlugin

if TYPE_CHECKING:
    import optparse

    from beets.importer import ImportSession, ImportTask
    from beets.library import Item, Library

NOTATIONS = ("standard", "camelot", "openkey")

# How many of keyscan's last stderr lines an error message quotes.
STDERR_TAIL = 5


class KeyscanError(Exception):
    """keyscan could not be run, or stopped before it answered every file."""


@dataclass(frozen=True)
class KeyResult:
    """The part of one of keyscan's `ok` results that is stored in beets."""

    key: str  # standard name, "A minor", "Eb major"
    camelot: str  # "8A"
    openkey: str  # "1m"
    confidence: float  # 0-1
    tuning_cents: float  # -50 … +50 from A4 = 440 Hz
    key_changes: int

    @classmethod
    def from_json(cls, result: dict[str, Any]) -> KeyResult:
        """Raise KeyError, TypeError or ValueError when a field is missing
        or of the wrong kind, before anything is stored."""
        return cls(
            key=_text(result["key"]),
            camelot=_text(result["camelot"]),
            openkey=_text(result["openkey"]),
            confidence=float(result["confidence"]),
            tuning_cents=float(result["tuning_cents"]),
            key_changes=int(result["key_changes"]),
        )

    def notated(self, notation: str) -> str:
        if notation == "camelot":
            return self.camelot
        if notation == "openkey":
            return self.openkey
        return standard_short(self.key)


def _items(count: int) -> str:
    return "item" if count == 1 else "items"


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value


def standard_short(name: str) -> str:
    """keyscan's name in ID3's TKEY form: "A minor" -> "Am", "Eb major" -> "Eb".

    This is the form beets' `initial_key` type parses; given the long name it
    would turn "F# minor" into "Fm" (it strips "# minor" as one separator).
    """
    tonic, _, mode = name.partition(" ")
    if mode not in ("major", "minor") or not tonic:
        raise ValueError(f"not a key name: {name!r}")
    return tonic + ("m" if mode == "minor" else "")


def paths_to_send(items: Iterable[Item], links: str) -> dict[str, list[Item]]:
    """The paths to give keyscan, each with the items its result is for.

    keyscan prints each path back as it was given, but reports a file once,
    under the first path naming it (same real path), so items that share a
    real path are sent once. A path that is not UTF-8 cannot travel through
    keyscan's JSON: such a file is given as a symlink with a plain name in
    `links`.
    """
    by_real: dict[bytes, list[Item]] = {}
    for item in items:
        real = os.fsencode(os.path.realpath(util.syspath(item.path)))
        by_real.setdefault(real, []).append(item)
    by_path: dict[str, list[Item]] = {}
    for real, group in by_real.items():
        try:
            path = real.decode("utf-8")
        except UnicodeDecodeError:
            path = os.path.join(links, str(len(by_path)))
            os.symlink(real, path)
        by_path[path] = group
    return by_path


class KeyscanPlugin(BeetsPlugin):
    item_types = {
        "keyscan_confidence": types.Float(4),
        "keyscan_camelot": types.STRING,
        "keyscan_tuning_cents": types.Float(1),
        "keyscan_key_changes": types.INTEGER,
    }

    def __init__(self) -> None:
        super().__init__()
        self.config.add(
            {
                "bin": "keyscan",
                "auto": True,
                "overwrite": False,
                "notation": "standard",
                "jobs": 0,
            }
        )
        if self.config["auto"].get(bool):
            self.import_stages = [self.imported]

    def commands(self) -> list[ui.Subcommand]:
        cmd = ui.Subcommand(
            "keyscan", help="detect the musical key of items with keyscan"
        )
        cmd.parser.add_option(
            "-f",
            "--force",
            action="store_true",
            default=False,
            help="analyze items that already have a key too (overwrite: yes)",
        )
        cmd.parser.add_option(
            "-w",
            "--write",
            default=None,
            action="store_true",
            help="write new metadata to files' tags",
        )
        cmd.parser.add_option(
            "-W",
            "--nowrite",
            dest="write",
            action="store_false",
            help="don't write metadata (opposite of -w)",
        )
        cmd.func = self.command
        return [cmd]

    def command(self, lib: Library, opts: optparse.Values, args: list[str]) -> None:
        overwrite = opts.force or self.config["overwrite"].get(bool)
        try:
            self.find_keys(
                lib.items(args), write=ui.should_write(opts.write), overwrite=overwrite
            )
        except KeyscanError as exc:
            raise ui.UserError(str(exc)) from None

    def imported(self, session: ImportSession, task: ImportTask) -> None:
        # With `import.write` on, the importer writes the tags of the items
        # it applied metadata to after its plugin stages, so they are only
        # written here for an as-is import (-A), which the importer leaves
        # alone. A missing keyscan is logged rather than raised so that the
        # import itself goes on.
        write = session.config["write"].get(bool) and not task.apply
        try:
            self.find_keys(
                task.imported_items(),
                write=write,
                overwrite=self.config["overwrite"].get(bool),
            )
        except KeyscanError as exc:
            self._log.error("{}", exc)

    # --- the batch ----------------------------------------------------------

    def find_keys(self, items: Iterable[Item], write: bool, overwrite: bool) -> None:
        notation = self.config["notation"].as_choice(NOTATIONS)
        todo: list[Item] = []
        skipped = 0
        for item in items:
            if item.get("initial_key") and not overwrite:
                skipped += 1
                self._log.debug("skipping {.filepath}: it has a key", item)
            else:
                todo.append(item)
        if not todo:
            self._log.info("nothing to analyze, {} skipped (they have a key)", skipped)
            return

        command = self.keyscan_command()
        with tempfile.TemporaryDirectory(prefix="beets-keyscan-") as links:
            by_path = paths_to_send(todo, links)
            self._log.info(
                "analyzing {} {} with {}", len(todo), _items(len(todo)), command[0]
            )
            self._log.debug("running {}", " ".join(command))
            counts = self._run(command, by_path, notation, write)

        self._log.info(
            "{ok} keys stored ({cached} from keyscan's cache), {no_key} without"
            " a key, {failed} failed, {skipped} skipped (they have a key)",
            skipped=skipped,
            **counts,
        )

    def keyscan_command(self) -> list[str]:
        """The command line, with `bin` resolved on PATH; KeyscanError if it
        is not there or not executable."""
        name = self.config["bin"].as_str()
        path = shutil.which(name)
        if path is None:
            where = "is not an executable file" if os.sep in name else "is not on PATH"
            raise KeyscanError(
                f"cannot run keyscan: {name!r} {where}"
                " (install keyscan, or set keyscan.bin in beets' config)"
            )
        command = [
            path,
            "analyze",
            "--format",
            "jsonl",
            "--quiet",
            "--files-from",
            "-",
            "--null",
        ]
        jobs = self.config["jobs"].get(int)
        if jobs > 0:
            command += ["--jobs", str(jobs)]
        return command

    def _run(
        self,
        command: list[str],
        by_path: dict[str, list[Item]],
        notation: str,
        write: bool,
    ) -> dict[str, int]:
        counts = {"ok": 0, "cached": 0, "no_key": 0, "failed": 0}
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise KeyscanError(
                f"cannot run keyscan: {command[0]}: {exc.strerror}"
            ) from None

        # keyscan reads the list as the batch goes and writes as files finish:
        # feeding stdin from a thread of its own keeps a long list and a full
        # stdout pipe from waiting on each other. stderr is drained the same
        # way and logged from this thread (beets' log levels are per thread).
        paths = list(by_path)
        total = sum(len(group) for group in by_path.values())
        stderr: list[str] = []

        def feed() -> None:
            try:
                for path in paths:
                    proc.stdin.write(path.encode("utf-8") + b"\0")
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass  # keyscan has exited; its exit status says why

        def drain() -> None:
            for line in proc.stderr:
                stderr.append(line.decode("utf-8", "replace").rstrip("\n"))

        threads = [threading.Thread(target=f, daemon=True) for f in (feed, drain)]
        for thread in threads:
            thread.start()
        try:
            for line in proc.stdout:
                self._take(line, by_path, notation, write, counts)
            status = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        for thread in threads:
            thread.join()
        for line in stderr:
            self._log.debug("keyscan: {}", line)

        # Whatever is left in by_path got no result.
        unanswered = [item for group in by_path.values() for item in group]
        if status in (0, 1) and not unanswered:
            return counts
        how = (
            f"was killed by signal {-status}"
            if status < 0
            else f"exited with status {status}"
        )
        tail = "; ".join(stderr[-STDERR_TAIL:])
        tail = f": {tail}" if tail else ""
        if len(unanswered) == total:
            # Nothing came back (a usage error, a model it cannot read): one
            # message says it better than a line per item.
            raise KeyscanError(f"keyscan {how} before answering any item{tail}")
        for item in unanswered:
            self._log.error(
                "no result from keyscan for {.filepath}; left unchanged", item
            )
        raise KeyscanError(
            f"keyscan {how} with {len(unanswered)} of {total} items unanswered{tail}"
        )

    def _take(
        self,
        line: bytes,
        by_path: dict[str, list[Item]],
        notation: str,
        write: bool,
        counts: dict[str, int],
    ) -> None:
        """Store one result line; a line cut short by keyscan's death is
        ignored, so its items count as unanswered."""
        try:
            result = json.loads(line)
            items = by_path.pop(result["path"])
        except (ValueError, KeyError, TypeError):
            self._log.debug("ignoring keyscan output line {!r}", line[:200])
            return
        status = result.get("status")
        if status == "ok":
            try:
                found = KeyResult.from_json(result)
                value = found.notated(notation)
            except (KeyError, TypeError, ValueError) as exc:
                for item in items:
                    self._log.error(
                        "unexpected result for {.filepath}: {}; left unchanged",
                        item,
                        exc,
                    )
                counts["failed"] += len(items)
                return
            for item in items:
                for warning in result.get("warnings") or ():
                    self._log.info("warning for {.filepath}: {}", item, warning)
                self._store(item, found, value, write)
            counts["ok"] += len(items)
            if result.get("cached"):
                counts["cached"] += len(items)
        elif status == "no_key":
            reason = result.get("reason") or {}
            for item in items:
                self._log.info(
                    "no key for {.filepath} ({}): {}; left unchanged",
                    item,
                    reason.get("code"),
                    reason.get("message"),
                )
            counts["no_key"] += len(items)
        else:
            error = result.get("error") or {}
            for item in items:
                self._log.error(
                    "cannot analyze {.filepath}: {} ({}); left unchanged",
                    item,
                    error.get("message"),
                    error.get("code"),
                )
            counts["failed"] += len(items)

    def _store(self, item: Item, found: KeyResult, value: str, write: bool) -> None:
        # initial_key goes through beets' MusicalKey type, which spells flats
        # as sharps ("Eb" -> "D#") and lower-cases a Camelot letter ("8a").
        item["initial_key"] = value
        item["keyscan_confidence"] = found.confidence
        item["keyscan_camelot"] = found.camelot
        item["keyscan_tuning_cents"] = found.tuning_cents
        item["keyscan_key_changes"] = found.key_changes
        self._log.info(
            "{.initial_key} ({}, confidence {:.2f}) for {.filepath}",
            item,
            found.key,
            found.confidence,
            item,
        )
        if write:
            item.try_write()
        item.store()
