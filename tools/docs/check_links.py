#!/usr/bin/env python3
"""Checks the relative links of keyscan's Markdown documentation.

    tools/docs/check_links.py [--root DIR] [FILE.md ...]

Without FILEs it checks README.md, docs/**/*.md, Weights/README.md and tools/README.md of
the repository (found from this script's location, or --root). Every relative link and
image (`[text](path)`, `![alt](path)`, `[label]: path`) must name an existing file or
folder, and every `#anchor` (`#anchor` in the same file, `file.md#anchor` in another) must
name a heading of that file as GitHub writes its id. Links with a scheme (`https:`,
`mailto:`) are skipped, as is everything in fenced code blocks and inline code.

Prints each broken link as `file:line: target (reason)` and exits 1, or prints
`checked N links in M files` and exits 0. Python 3 standard library only.
"""

import argparse
import re
import sys
import unicodedata
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FILES = ["README.md", "docs/**/*.md", "Weights/README.md", "tools/README.md"]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
# [text](target "title") and ![alt](target); the text may run over lines (not over a blank
# line), the target may be in <...>.
INLINE_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\n(?!\s*\n))*)\]\(\s*(<[^>\n]*>|[^\s()]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s[^>]*\b(?:name|id)=[\"']([^\"']+)[\"']", re.IGNORECASE)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")


def mask_code(text):
    """The text with fenced code blocks and inline code spans replaced by spaces.

    Newlines are kept, so offsets and line numbers stay those of the original.
    """
    return mask_inline_code(mask_fences(text))


def mask_fences(text):
    """The text with the lines of fenced code blocks emptied (the fences too)."""
    lines = text.split("\n")
    fence = None  # the opening fence's character and length while inside a block
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence = (m.group(1)[0], len(m.group(1)))
                lines[i] = ""
        else:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= fence[1] \
                    and not line[m.end():].strip():
                fence = None
            lines[i] = ""
    return "\n".join(lines)


def mask_inline_code(text):
    """The text with inline code spans replaced by spaces, newlines kept."""
    # A code span runs from a run of N backticks to the next run of exactly N, within a
    # paragraph (never over a blank line).
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"(?<!`)(`+)(?!`)((?:[^`\n]|`+(?!\1)|\n(?!\s*\n))+?)(?<!`)\1(?!`)", blank, text)


def heading_text(raw):
    """A heading's text as GitHub renders it: markup gone, code and link text kept."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)      # links and images: their text
    text = re.sub(r"<[^>]+>", "", text)                          # HTML tags
    text = text.replace("`", "")                                 # code spans keep their text
    text = re.sub(r"(\*{1,3}|(?<!\w)_{1,3})(\S(?:.*?\S)?)\1(?!\w)", r"\2", text)  # emphasis
    return text.strip()


def slug(text):
    """GitHub's heading id: lowercase; drop every character but letters, marks, numbers,
    connector punctuation (`_`), hyphens and spaces; each space becomes a hyphen."""
    out = []
    for ch in heading_text(text).lower():
        if ch == " ":
            out.append("-")
        elif ch == "-" or unicodedata.category(ch)[0] in "LMN" or unicodedata.category(ch) == "Pc":
            out.append(ch)
    return "".join(out)


def anchors(text):
    """Every anchor a Markdown file defines: heading slugs (repeats get -1, -2, …) and
    HTML `<a name|id=…>`."""
    # Headings keep their inline code (its text is part of the id), so only blocks are masked.
    lines = mask_fences(text).split("\n")
    found, seen = set(), {}

    def add(heading):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")

    for i, line in enumerate(lines):
        m = ATX_HEADING.match(line)
        if m:
            add(m.group(2) or "")
        elif SETEXT_UNDERLINE.match(line) and i > 0 and lines[i - 1].strip() \
                and not ATX_HEADING.match(lines[i - 1]) \
                and not re.match(r"^ {0,3}([-*+]|\d+[.)])\s|^\s*\|", lines[i - 1]) \
                and (i < 2 or not lines[i - 2].strip()):
            # a one-line paragraph over === or --- (a list item or table row over --- is
            # not a heading)
            add(lines[i - 1].strip())
    found.update(HTML_ANCHOR.findall(mask_code(text)))
    return found


def links(text):
    """(line, target) for every link, image and reference definition outside code."""
    masked = mask_code(text)
    out = []
    for m in INLINE_LINK.finditer(masked):
        out.append((m.start(3), m.group(3)))
    for m in REFERENCE_DEFINITION.finditer(masked):
        out.append((m.start(1), m.group(1)))
    out.sort()
    return [(masked.count("\n", 0, offset) + 1, target.strip("<>")) for offset, target in out]


def check_file(path, root, anchor_cache):
    """Broken links of one file, as (line, target, reason); and how many it checked (its
    relative links: external ones are skipped)."""
    text = path.read_text(encoding="utf-8")
    problems, checked = [], 0
    for line, target in links(text):
        if SCHEME.match(target):
            continue  # external
        checked += 1
        part, _, fragment = target.partition("#")
        part = unquote(part)
        if part:
            dest = (root / part.lstrip("/")) if part.startswith("/") else (path.parent / part)
            if not dest.exists():
                problems.append((line, target, "no such file"))
                continue
        else:
            dest = path
        if not fragment or dest.is_dir() or dest.suffix.lower() != ".md":
            continue
        dest = dest.resolve()
        if dest not in anchor_cache:
            anchor_cache[dest] = anchors(dest.read_text(encoding="utf-8"))
        if unquote(fragment) not in anchor_cache[dest]:
            where = "this file" if dest == path.resolve() else _shown(dest, root)
            problems.append((line, target, f"no heading with anchor #{fragment} in {where}"))
    return problems, checked


def _shown(path, root):
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def default_files(root):
    files = []
    for pattern in DEFAULT_FILES:
        files += sorted(p for p in root.glob(pattern) if p.is_file())
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO,
                        help="the repository (default: the one holding this script)")
    parser.add_argument("files", nargs="*", type=Path,
                        help="Markdown files (default: " + ", ".join(DEFAULT_FILES) + ")")
    args = parser.parse_args(argv)
    root = args.root
    files = args.files or default_files(root)
    anchor_cache, broken, total = {}, 0, 0
    for path in files:
        problems, n = check_file(path, root, anchor_cache)
        total += n
        for line, target, reason in problems:
            print(f"{_shown(path, root)}:{line}: {target} ({reason})")
            broken += 1
    if broken:
        print(f"{broken} broken of {total} links in {len(files)} files", file=sys.stderr)
        return 1
    print(f"checked {total} links in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
