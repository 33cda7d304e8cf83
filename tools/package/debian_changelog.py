#!/usr/bin/env python3
"""Writes the Debian changelog (stdout) from docs/changelog.md, the one list of versions.

Each `## VERSION (YYYY-MM-DD)` heading becomes an entry; its `- ` items become `  * ` lines,
wrapped at 78 columns. Usage: debian_changelog.py docs/changelog.md
"""
from __future__ import annotations

import re
import sys
import textwrap
from datetime import datetime, timezone
from email.utils import format_datetime

MAINTAINER = "keyscan developers <maintainers@users.noreply.b-seed-5582b128.example>"
HEADING = re.compile(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2})\)\s*$")


def entries(markdown: str) -> list[tuple[str, str, list[str]]]:
    """(version, date, items) for each version, newest first as the file lists them."""
    out: list[tuple[str, str, list[str]]] = []
    for line in markdown.splitlines():
        heading = HEADING.match(line)
        if heading:
            out.append((heading.group(1), heading.group(2), []))
        elif out and line.startswith("- "):
            out[-1][2].append(line[2:].strip())
        elif out and out[-1][2] and line.startswith("  ") and line.strip():
            out[-1][2][-1] += " " + line.strip()  # a wrapped item
    return out


def plain(text: str) -> str:
    """Markdown to text: links keep their words, code loses its backticks."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("`", "").replace("**", "")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 64
    versions = entries(open(sys.argv[1], encoding="utf-8").read())
    if not versions:
        print(f"{sys.argv[1]}: no '## VERSION (DATE)' headings", file=sys.stderr)
        return 65
    for version, day, items in versions:
        when = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        print(f"keyscan ({version}) bookworm; urgency=medium\n")
        for item in items or ["No user-visible change recorded."]:
            print(textwrap.fill(plain(item), width=78, initial_indent="  * ", subsequent_indent="    "))
        print(f"\n -- {MAINTAINER}  {format_datetime(when)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
