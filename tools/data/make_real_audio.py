#!/usr/bin/env python3
"""Build keyscan's unlabelled real-audio set from the Debian packages the model may learn from.

    make_real_audio.py [--out data/real-audio] [--keyscan .build/release/keyscan] [--jobs 2]
                       [--install]

What it does, step by step (every step resumes: reruns skip what is already done):

 1. Collects the music of the allowed packages (PACKAGES; `--install` apt-installs the
    missing ones): audio files listed by `dpkg -L`; 0ad-data's music folder, which lives in
    a zip (`audio/music/` of public.zip), is extracted; fretsonfire-songs-muldjord's songs
    come as stems (song.ogg + guitar.ogg), mixed into one track each. Other packages' music
    is reserved for independent evaluation and is never read.
 2. Keeps music only: at least MIN_SECONDS long (shorter files are sound effects, jingles
    and voice lines), and `keyscan analyze` must find pitched content (no `no_key`: wind
    and engine loops out). Files FFmpeg cannot decode are listed and left out.
 3. De-duplicates: byte-identical files (SHA-256), then near-identical tracks (the same
    music in two formats, bitrates or trims): tracks whose durations are within 3 % and
    whose time-averaged log-CQT profiles correlate above 0.995 and whose chroma sequences
    (1 per 2 s) correlate above 0.9 count as one, the longest kept.
 4. Writes features (`keyscan features`: exactly what the model sees) and
    OUT/features/features.tsv (npy, song, set, frames, collection, audio, seconds), with
    whole packages in `val` (VALIDATION_PACKAGES: never trained on; the real validation set)
    and the rest in `train` (also as train.tsv and val.tsv, and OUT/train/, OUT/val/: links
    to the audio), and prints the hours of audio per package.

The audio is only linked or, for the zip and the stems, written under OUT (git-ignored).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]

#: The Debian packages whose music may be used as unlabelled real audio (issue 9 and the
#: brief). Every other package's music is reserved for independent evaluation.
PACKAGES = [
    "singularity-music", "drascula-music", "asc-music", "planetblupi-music-ogg",
    "fretsonfire-songs-muldjord", "boswars-data", "pushover-data", "colobot-common-sounds",
    "supertux-data", "flare-game", "openclonk-data", "marsshooter-data", "lincity-ng-data",
    "scorched3d-data", "powermanga-data", "freeorion-data", "tuxfootball", "warmux-data",
    "lugaru-data", "0ad-data",
]
#: Whole packages kept out of training: the real validation set. Chosen for variety (chip-
#: tune/game rock, orchestral, ambient electronic) and for about a sixth of the hours.
VALIDATION_PACKAGES = {"warmux-data", "supertux-data", "pushover-data", "singularity-music"}
AUDIO_EXTENSIONS = (".ogg", ".oga", ".mp3", ".flac", ".wav", ".opus")
MIN_SECONDS = 30.0
ZERO_AD_ZIP = Path("/usr/share/games/0ad/mods/public/public.zip")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs)


def installed(package: str) -> bool:
    done = run(["dpkg-query", "-W", "-f=${Status}", package])
    return done.returncode == 0 and "install ok installed" in done.stdout


def install(packages: list[str]) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
    subprocess.run(sudo + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
                           "--no-install-recommends", *packages], check=True, stdout=subprocess.DEVNULL)


def package_files(package: str) -> list[Path]:
    return sorted(Path(line) for line in run(["dpkg", "-L", package]).stdout.splitlines()
                  if line.lower().endswith(AUDIO_EXTENSIONS) and Path(line).is_file())


def collect(package: str, audio: Path) -> list[tuple[Path, str]]:
    """(audio file, id) pairs of one package's candidate music."""
    folder = audio / package
    folder.mkdir(parents=True, exist_ok=True)
    if package == "0ad-data":
        found = []
        with zipfile.ZipFile(ZERO_AD_ZIP) as archive:
            for name in archive.namelist():
                if name.startswith("audio/music/") and name.lower().endswith(AUDIO_EXTENSIONS):
                    target = folder / Path(name).name
                    if not target.exists():
                        target.write_bytes(archive.read(name))
                    found.append((target, Path(name).stem))
        return found
    if package == "fretsonfire-songs-muldjord":
        found = []
        songs = sorted({f.parent for f in package_files(package)})
        for song in songs:
            stems = sorted(song.glob("*.ogg"))
            target = folder / f"{song.name}.flac"
            if not target.exists():
                inputs = [arg for stem in stems for arg in ("-i", str(stem))]
                mixed = run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex",
                             f"amix=inputs={len(stems)}:normalize=0", "-ac", "2", str(target)])
                if mixed.returncode != 0:
                    print(f"  {song}: cannot mix its stems: {mixed.stderr.strip()}", file=sys.stderr)
                    continue
            found.append((target, song.name))
        return found
    found = []
    for path in package_files(package):
        link = folder / str(path).lstrip("/").replace("/", "_")
        if not link.is_symlink():
            link.symlink_to(path)
        found.append((link, link.stem))
    return found


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def analyze(keyscan: Path, files: list[Path], jobs: int) -> dict[str, dict]:
    """`keyscan analyze` results by path (duration, tonality, status) with the shipped model."""
    results = {}
    for start in range(0, len(files), 300):
        batch = files[start:start + 300]
        done = run([str(keyscan), "analyze", "--no-cache", "--quiet", "--format", "jsonl", "--jobs", str(jobs),
                    *map(str, batch)])
        for line in done.stdout.splitlines():
            result = json.loads(line)
            results[result["path"]] = result
    return results


def extract_features(keyscan: Path, files: list[Path], out: Path, jobs: int) -> None:
    todo = [f for f in files if not (out / (f.stem + ".npy")).exists()]
    for start in range(0, len(todo), 200):
        done = run([str(keyscan), "features", "--jobs", str(jobs), "--out", str(out), *map(str, todo[start:start + 200])])
        if done.returncode not in (0, 1):
            raise SystemExit(f"keyscan features failed ({done.returncode}): {done.stderr[-800:]}")
        print(f"  features {min(start + 200, len(todo))}/{len(todo)}", file=sys.stderr)


def fingerprint(npy: Path) -> tuple[np.ndarray, np.ndarray]:
    """(mean profile over 105 bins, chroma sequence (12, 1 per 2 s)), both normalised."""
    spec = np.load(npy)
    profile = spec.mean(1)
    profile = (profile - profile.mean()) / (profile.std() + 1e-9)
    frames = spec.shape[1] // 10 * 10
    chroma = spec[:, :frames].reshape(105, -1, 10).mean(2)
    chroma = np.stack([chroma[b::24].sum(0) + chroma[b + 1::24].sum(0) for b in range(0, 24, 2)])
    chroma = (chroma - chroma.mean()) / (chroma.std() + 1e-9)
    return profile, chroma


def near_duplicates(rows: list[dict], features: Path) -> set[str]:
    """Ids of the tracks that duplicate a longer one (see step 3)."""
    prints = {r["id"]: fingerprint(features / f"{r['id']}.npy") for r in rows}
    dropped = set()
    ordered = sorted(rows, key=lambda r: -r["seconds"])
    for i, a in enumerate(ordered):
        if a["id"] in dropped:
            continue
        for b in ordered[i + 1:]:
            if b["id"] in dropped or b["seconds"] < 0.97 * a["seconds"]:
                continue
            pa, ca = prints[a["id"]]
            pb, cb = prints[b["id"]]
            if float(np.mean(pa * pb)) < 0.995:
                continue
            n = min(ca.shape[1], cb.shape[1])
            x, y = ca[:, :n].ravel(), cb[:, :n].ravel()
            if np.corrcoef(x, y)[0, 1] > 0.9:
                dropped.add(b["id"])
                print(f"  near-duplicate: {b['audio']} ≈ {a['audio']}", file=sys.stderr)
    return dropped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "data" / "real-audio")
    parser.add_argument("--keyscan", type=Path, default=REPO / ".build" / "release" / "keyscan")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--install", action="store_true", help="apt-get install the packages that are missing")
    args = parser.parse_args()
    missing = [p for p in PACKAGES if not installed(p)]
    if missing and args.install:
        install(missing)
        missing = [p for p in PACKAGES if not installed(p)]
    if missing:
        parser.error(f"not installed: {' '.join(missing)} (add --install)")
    if not args.keyscan.is_file():
        parser.error(f"{args.keyscan} not found: swift build -c release")

    audio, features = args.out / "audio", args.out / "features"
    features.mkdir(parents=True, exist_ok=True)
    candidates: list[dict] = []
    files_seen: set[str] = set()
    for package in PACKAGES:
        for path, name in collect(package, audio):
            # The same file under two names (drascula-music links each language's tracks to
            # one set): keyscan analyzes a file once per batch, so keep its first name only.
            real = os.path.realpath(path)
            if real not in files_seen:
                files_seen.add(real)
                candidates.append({"id": f"{package}__{name}", "package": package, "path": path})
    print(f"{len(candidates)} candidate files in {len(PACKAGES)} packages", file=sys.stderr)

    # 2. music only
    cache = args.out / "analysis.json"
    results = json.loads(cache.read_text()) if cache.exists() else {}
    todo = [c["path"] for c in candidates if str(c["path"]) not in results]
    if todo:
        results.update(analyze(args.keyscan, todo, args.jobs))
        cache.write_text(json.dumps(results))
    kept, refused, short, keyless = [], [], 0, 0
    for c in candidates:
        r = results.get(str(c["path"]), {"status": "error", "error": {"message": "no result"}})
        if r["status"] == "error":
            if r["error"]["code"] != "too_short":
                refused.append(f"{c['path']}: {r['error']['code']}: {r['error']['message']}")
            else:
                short += 1
        elif r["duration_s"] < MIN_SECONDS:
            short += 1
        elif r["status"] == "no_key":
            keyless += 1
        else:
            kept.append(dict(c, seconds=r["duration_s"]))
    print(f"music: {len(kept)} kept; {short} under {MIN_SECONDS:.0f} s, {keyless} without pitched content, "
          f"{len(refused)} undecodable:", file=sys.stderr)
    for line in refused:
        print(f"  {line}", file=sys.stderr)

    # 3. de-duplicate: identical bytes, then near-identical music
    seen, unique = {}, []
    for c in sorted(kept, key=lambda c: -c["seconds"]):
        digest = sha256(c["path"])
        if digest in seen:
            print(f"  identical: {c['path']} = {seen[digest]}", file=sys.stderr)
            continue
        seen[digest] = c["path"]
        unique.append(c)
    for c in unique:  # features are named by id, so equal file names of two packages never collide
        link = features / f"{c['id']}{c['path'].suffix}"
        if not link.is_symlink():
            link.symlink_to(c["path"].resolve())
        c["audio"] = link
    extract_features(args.keyscan, [c["audio"] for c in unique], features, args.jobs)
    unique = [c for c in unique if (features / f"{c['id']}.npy").exists()]
    dropped = near_duplicates(unique, features)
    final = [c for c in unique if c["id"] not in dropped]

    # 4. the index, and hours per package
    rows = []
    for c in sorted(final, key=lambda c: c["id"]):
        frames = int(np.load(features / f"{c['id']}.npy", mmap_mode="r").shape[1])
        rows.append({"npy": f"{c['id']}.npy", "song": c["id"], "set": "val" if c["package"] in VALIDATION_PACKAGES
                     else "train", "frames": frames, "collection": c["package"], "audio": str(c["path"]),
                     "seconds": f"{c['seconds']:.1f}"})
    with open(features / "features.tsv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    for split in ("train", "val"):
        with open(features / f"{split}.tsv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t")
            writer.writeheader()
            writer.writerows(r for r in rows if r["set"] == split)
        # OUT/SPLIT/: links to the split's audio, for `tools/evaluation/evaluate --unlabeled OUT/val`.
        folder = args.out / split
        folder.mkdir(exist_ok=True)
        for link in folder.iterdir():
            link.unlink()
        for c in final:
            if ("val" if c["package"] in VALIDATION_PACKAGES else "train") == split:
                (folder / c["audio"].name).symlink_to(c["path"].resolve())
    print("\n| package | split | tracks | hours |\n|---|---|---:|---:|")
    totals = {"train": [0, 0.0], "val": [0, 0.0]}
    for package in PACKAGES:
        members = [r for r in rows if r["collection"] == package]
        hours = sum(float(r["seconds"]) for r in members) / 3600
        split = "val" if package in VALIDATION_PACKAGES else "train"
        totals[split][0] += len(members)
        totals[split][1] += hours
        print(f"| {package} | {split} | {len(members)} | {hours:.2f} |")
    for split, (count, hours) in totals.items():
        print(f"| **all {split}** | | {count} | {hours:.2f} |")
    print(f"\nwrote {features / 'features.tsv'} ({len(rows)} tracks; {len(dropped)} near-duplicates and "
          f"{len(kept) - len(unique)} identical files left out)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
