#!/usr/bin/env python3
"""Writes the Debian changelog (stdout) from docs/changelog.md, the one list of versions.

Each `## VERSION (YYYY-MM-DD)` heading becomes an entry; its `- ` items become `  * ` lines,
wrapped at 78 columns. An entry is stamped at midnight UTC of its day; versions released on
the same day are stamped a minute apart, in their order, since Debian wants each entry newer
than the one below it (lintian: latest-changelog-entry-without-new-date).
Usage: debian_changelog.py docs/changelog.md
"""
from __future__ import annotations

import re
import sys
import textwrap
from datetime import datetime, timedelta, timezone
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


def stamps(days: list[str]) -> list[datetime]:
    """A time for each entry (newest first): midnight UTC of its day, or a minute after the
    entry below it when that one is as late or later (the same day)."""
    out: list[datetime] = []
    for day in reversed(days):
        when = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=timezone.utc)
        if out and when <= out[-1]:
            when = out[-1] + timedelta(minutes=1)
        out.append(when)
    return out[::-1]


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
    for (version, _, items), when in zip(versions, stamps([day for _, day, _ in versions])):
        print(f"keyscan ({version}) bookworm; urgency=medium\n")
        for item in items or ["No user-visible change recorded."]:
            print(textwrap.fill(plain(item), width=78, initial_indent="  * ", subsequent_indent="    "))
        print(f"\n -- {MAINTAINER}  {format_datetime(when)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
