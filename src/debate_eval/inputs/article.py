"""Reading the article: a text, Markdown, HTML or PDF file, stdin ('-') or an http(s) URL.

Unusable input raises InputError (one line, exit 2). Anything changed on the way in (an article
cut to fit the model, a guessed encoding, extracted HTML) is said in Article.notices, never
done silently.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from debate_eval.core.errors import InputError
from debate_eval.inputs.documents import html_main_text, looks_like_html, looks_like_pdf, pdf_text
from debate_eval.inputs.injection import quarantine

MIN_WORDS = 20
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
URL_TIMEOUT_S = 30.0

_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
# Frequent English function words: an English article has plenty of them.
_ENGLISH = frozenset(
    {
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "was",
        "with",
        "be",
        "by",
        "on",
        "not",
        "he",
        "she",
        "they",
        "this",
        "are",
        "or",
        "from",
        "at",
        "which",
        "but",
        "have",
        "has",
        "had",
        "an",
        "were",
        "their",
        "its",
        "his",
        "her",
        "we",
        "you",
        "will",
        "would",
        "can",
        "there",
        "been",
        "more",
        "than",
        "also",
        "who",
        "about",
        "into",
    }
)
_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Article:
    """An article ready to debate, and what was done to it on the way in."""

    text: str
    source: str
    notices: tuple[str, ...] = ()


def load_article(source: str, *, max_words: int | None = None) -> Article:
    """The article from a path, '-' (stdin) or URL, checked, decoded and cut to `max_words`."""
    notices: list[str] = []
    if source == "-":
        data, name, hint = sys.stdin.buffer.read(), "standard input", ""
    elif re.match(r"(?i)https?://", source):
        data, hint = fetch_url(source)
        name = source
    else:
        data, name, hint = _read_path(source), source, Path(source).suffix.lower()
    text = article_text(data, name, hint, notices)
    text = _check_words(text, name, notices)
    text = for_the_models(text, max_words, notices)
    return Article(text=text, source=name, notices=tuple(notices))


def for_the_models(text: str, max_words: int | None, notices: list[str]) -> str:
    """The article as the agents will read it: cut to `max_words`, passages addressed to AI
    systems left out; each change is described in `notices` (never done silently)."""
    if max_words is not None:
        text = trim_words(text, max_words, notices)
    return quarantine(text, notices)


def _read_path(source: str) -> bytes:
    if "\x00" in source:
        raise InputError(f"{source!r}: not a usable path (it contains a NUL character)")
    path = Path(source)
    try:
        if not path.exists():
            raise InputError(f"{source}: no such file")
        if path.is_dir():
            raise InputError(f"{source}: is a directory, not an article file")
        return path.read_bytes()
    except OSError as exc:  # permissions, a name too long, a broken device
        raise InputError(f"{source}: cannot read: {exc.strerror or exc}") from exc


def fetch_url(url: str) -> tuple[bytes, str]:
    """The body of an http(s) URL and a hint of its type ('.pdf', '.html' or '')."""
    import httpx

    try:
        with (
            httpx.Client(timeout=URL_TIMEOUT_S, follow_redirects=True) as client,
            client.stream("GET", url, headers={"User-Agent": "debate-eval"}) as response,
        ):
            if response.status_code >= 400:
                raise InputError(f"{url}: the server answered HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_DOWNLOAD_BYTES:
                    raise InputError(f"{url}: larger than {MAX_DOWNLOAD_BYTES // 2**20} MiB")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except httpx.InvalidURL as exc:
        raise InputError(f"{url}: not a valid URL ({exc})") from exc
    except httpx.HTTPError as exc:
        raise InputError(f"{url}: cannot fetch it ({type(exc).__name__}: {exc})") from exc
    hint = ".pdf" if kind == "application/pdf" else ".html" if "html" in kind else ""
    return bytes(data), hint


def article_text(data: bytes, name: str, hint: str, notices: list[str]) -> str:
    """Plain text from the bytes of a text, HTML or PDF document."""
    if not data.strip():
        raise InputError(f"{name}: the article is empty")
    if hint == ".pdf" or looks_like_pdf(data):
        return _normalise(pdf_text(data, name))
    text = decode_text(data, name, notices)
    if hint in _HTML_SUFFIXES or looks_like_html(data):
        text = html_main_text(text, name)
        notices.append(f"Main text extracted from the HTML of {name}.")
    return _normalise(text)


def decode_text(data: bytes, name: str, notices: list[str]) -> str:
    """Text from bytes: UTF-8 (or a BOM's encoding); otherwise a confident guess, said aloud."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: invalid UTF-16 text (bad bytes at {exc.start})") from exc
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not a text, HTML or PDF article")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = _guess_encoding(data, name, exc, notices)
    if _control_share(text) > 0.01:
        raise InputError(f"{name}: looks like a binary file, not a text, HTML or PDF article")
    return text


def _guess_encoding(data: bytes, name: str, exc: UnicodeDecodeError, notices: list[str]) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    # A guess is only worth taking when most of the text decodes to ordinary characters.
    if best is None or best.chaos > 0.1:
        raise InputError(
            f"{name}: not UTF-8 text (bad byte at offset {exc.start}) and its encoding could not "
            "be recognised; convert it to UTF-8 first"
        ) from exc
    notices.append(f"{name} is not UTF-8; it was read as {best.encoding}.")
    return str(best)


def _control_share(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls / len(sample)


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _check_words(text: str, name: str, notices: list[str]) -> str:
    words = text.split()
    if not words:
        raise InputError(f"{name}: the article is empty (only whitespace)")
    if len(words) < MIN_WORDS:
        raise InputError(
            f"{name}: too short to assess ({len(words)} words; at least {MIN_WORDS} needed)"
        )
    letters = _WORD_RE.findall(text.lower())
    english = sum(1 for w in letters if w in _ENGLISH)
    if letters and english / len(letters) < 0.08:
        notices.append(
            "The article does not look like English. The prompts and the report are in English; "
            "the models may understand it less well, so read the rating with care."
        )
    return text


def trim_words(text: str, max_words: int, notices: list[str]) -> str:
    """`text` cut to at most `max_words` words at a paragraph (or sentence) end, with a notice
    saying how much was left out and where it starts."""
    words = text.split()
    if len(words) <= max_words:
        return text
    # Cut after the last whole paragraph that fits; failing that, the last sentence.
    cut = 0
    for count, match in enumerate(re.finditer(r"\S+", text), 1):
        if count > max_words:
            break
        cut = match.end()
    head = text[:cut]
    for boundary in ("\n\n", ". ", "\n"):
        at = head.rfind(boundary)
        if at > len(head) // 2:
            head = head[: at + (1 if boundary == ". " else 0)]
            break
    head = head.rstrip()
    kept = len(head.split())
    rest = text[len(head) :].strip()
    start = " ".join(rest.split()[:8])
    notices.append(
        f"The article has {len(words):,} words, more than the model can read at once: only the "
        f"first {kept:,} were debated; the last {len(words) - kept:,} (from “{start}…”) were "
        "left out."
    )
    return head
