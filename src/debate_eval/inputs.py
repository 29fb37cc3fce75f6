"""Reading the article: a file path or '-' for stdin. Unusable input raises InputError."""

from __future__ import annotations

import sys
from pathlib import Path

from debate_eval.errors import InputError

MIN_WORDS = 20


def read_article(source: str) -> str:
    """The article's text from a path or '-' (stdin), checked to be usable text."""
    if source == "-":
        data = sys.stdin.buffer.read()
        name = "standard input"
    else:
        path = Path(source)
        if not path.exists():
            raise InputError(f"{source}: no such file")
        if path.is_dir():
            raise InputError(f"{source}: is a directory, not an article file")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{source}: cannot read: {exc.strerror}") from exc
        name = source
    return decode_article(data, name)


def decode_article(data: bytes, name: str) -> str:
    """Decode and sanity-check article bytes; `name` is used in error messages."""
    if not data.strip():
        raise InputError(f"{name}: the article is empty")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not a text article (.md or .txt)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}: is not UTF-8 text (bad byte at offset {exc.start}); convert it to UTF-8 first"
        ) from exc
    text = text.replace("\r\n", "\n").strip()
    if len(text.split()) < MIN_WORDS:
        raise InputError(
            f"{name}: too short to assess ({len(text.split())} words; at least {MIN_WORDS} needed)"
        )
    return text
