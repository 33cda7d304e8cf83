#!/usr/bin/env python3
"""Writes a smaller copy of the ICU data that the Swift runtime's Foundation links into keyscan.

The static Foundation carries ICU's whole data package (34 MB of a 63 MB binary): every
locale's names, currencies, units, collations and calendars, CJK and Thai word-break
dictionaries, legacy character-set converters. keyscan formats nothing by locale (its output
is JSON, CSV and English messages, numbers printed without a locale) and converts nothing
but UTF-8, so it needs only the root and English locales and the Unicode properties and
normalisation data. This keeps those, in ICU's own package format, with the same symbol
name (e.g. icudt76_dat); linked before the runtime's archive, it replaces the archive's copy.

The archive member that holds the data can only be swapped where the linker looks for the
archive, so this builds a shadow of the toolchain's static runtime folder: links to every
file but lib_FoundationICU.a, which is a copy with the slim data. `swiftc -resource-dir`
pointed at it links the same runtime with less data.

Usage: slim_icu_data.py STATIC_RUNTIME OUT_DIR
  STATIC_RUNTIME  the toolchain's swift_static folder (e.g. /opt/swift/usr/lib/swift_static)
  OUT_DIR         where the shadow goes; prints OUT_DIR/swift_static, for -resource-dir
"""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

MEMBER = "icu_packaged_data.cpp.o"
# Locales kept everywhere: the root (every lookup's fallback) and English.
KEPT_LOCALES = re.compile(r"^(root|en|en_US|en_US_POSIX|en_001|en_150)$")
LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*$")
# Whole kinds of data keyscan never asks for.
DROPPED_KINDS = (
    re.compile(r"^[^/]+\.cnv$"),          # legacy character-set converters (UTF-8 needs none)
    re.compile(r"^brkitr/.*\.dict$"),     # CJK, Thai, Lao, Khmer, Burmese word dictionaries
    re.compile(r"^translit/(?!root\.res$|en\.res$)"),  # transliterators
    re.compile(r"^rbnf/(?!root\.res$|en\.res$)"),      # spelled-out numbers
)


def keep(name: str) -> bool:
    """Whether an item (path inside the package, e.g. 'coll/de.res') stays."""
    if any(rule.search(name) for rule in DROPPED_KINDS):
        return False
    stem = name.rsplit("/", 1)[-1]
    if stem.endswith(".res"):
        locale = stem[:-4]
        if locale in ("res_index", "pool", "supplementalData", "metadata"):
            return True
        if LOCALE.match(locale):
            return bool(KEPT_LOCALES.match(locale))
    return True


def slim(package: bytes) -> tuple[bytes, int, int]:
    """The filtered package, and the item counts before and after.

    Format (ICU's common data, 'CmnD'): a header of `header_size` bytes; then a table of
    contents: count, then count pairs (name offset, data offset), both from the table's
    start; then the names (NUL-terminated, prefixed 'icudt76l/'); then the items, 16-byte aligned.
    """
    header_size = struct.unpack_from("<H", package, 0)[0]
    if package[2:4] != b"\xda\x27" or package[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    toc = header_size
    count = struct.unpack_from("<I", package, toc)[0]
    entries = [struct.unpack_from("<II", package, toc + 4 + 8 * i) for i in range(count)]
    ends = [offset for _, offset in entries[1:]] + [len(package) - toc]
    items = []
    for (name_offset, data_offset), end in zip(entries, ends):
        name = package[toc + name_offset: package.index(b"\0", toc + name_offset)]
        items.append((name, package[toc + data_offset: toc + end]))
    kept = [(n, d) for n, d in items if keep(n.decode().split("/", 1)[1])]

    table_size = 4 + 8 * len(kept)
    names = b"".join(n + b"\0" for n, _ in kept)
    data_start = (table_size + len(names) + 15) // 16 * 16
    # The header's size keeps the table's start, and so every item's, 16-byte aligned.
    body, name_offsets, data_offsets = bytearray(), [], []
    position = table_size
    for n, _ in kept:
        name_offsets.append(position)
        position += len(n) + 1
    position = data_start
    for _, d in kept:
        data_offsets.append(position)
        padded = d + b"\0" * (-len(d) % 16)
        body += padded
        position += len(padded)
    table = struct.pack("<I", len(kept)) + b"".join(
        struct.pack("<II", a, b) for a, b in zip(name_offsets, data_offsets))
    out = package[:header_size] + table + names + b"\0" * (data_start - table_size - len(names)) + bytes(body)
    return out, count, len(kept)


def shadow_runtime(static: Path, out: Path) -> Path:
    """OUT/swift_static: links to STATIC's files, and an empty folder for the archive."""
    shadow = out / "swift_static"
    if shadow.exists():
        shutil.rmtree(shadow)
    for entry in static.rglob("*"):
        if entry.is_dir() and not entry.is_symlink():
            continue
        target = shadow / entry.relative_to(static)
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.name != "lib_FoundationICU.a":
            target.symlink_to(entry)
    return shadow


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().split("\n\n")[-1], file=sys.stderr)
        return 64
    static, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    archives = list(static.glob("*/lib_FoundationICU.a"))
    if len(archives) != 1:
        print(f"slim_icu_data.py: no single */lib_FoundationICU.a in {static}", file=sys.stderr)
        return 66
    archive = archives[0]
    work = out / "icu"
    work.mkdir(parents=True, exist_ok=True)
    member = work / MEMBER
    member.write_bytes(subprocess.run(["ar", "p", str(archive), MEMBER], check=True, capture_output=True).stdout)
    symbols = subprocess.run(["nm", "--defined-only", str(member)], check=True, capture_output=True, text=True).stdout.split()
    symbol = next(s for s in symbols if re.fullmatch(r"icudt\d+_dat", s))
    subprocess.run(["objcopy", "-O", "binary", "--only-section=.rodata", str(member), str(work / "full.dat")], check=True)
    full = (work / "full.dat").read_bytes()
    small, before, after = slim(full)
    (work / "slim.dat").write_bytes(small)
    (work / "slim.s").write_text(
        f'\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n{symbol}:\n'
        f'\t.incbin "{work / "slim.dat"}"\n\t.size {symbol}, {len(small)}\n'
        '\t.section .note.GNU-stack,"",@progbits\n')
    # Same member name, so the archive's index and every other member stay as they were.
    subprocess.run(["cc", "-c", str(work / "slim.s"), "-o", str(member)], check=True)
    shadow = shadow_runtime(static, out)
    copy = shadow / archive.relative_to(static)
    shutil.copyfile(archive, copy)
    subprocess.run(["ar", "rs", str(copy), str(member)], check=True, cwd=work)
    print(f"ICU data {symbol}: {len(full) / 1e6:.1f} MB, {before} items -> {len(small) / 1e6:.1f} MB, {after} items",
          file=sys.stderr)
    print(shadow)
    return 0


if __name__ == "__main__":
    sys.exit(main())
