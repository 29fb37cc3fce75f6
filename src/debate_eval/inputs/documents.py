"""The main text of HTML pages and PDF files (trafilatura, pypdf). Failures raise InputError."""

from __future__ import annotations

import io
import logging
import re

from debate_eval.core.errors import InputError

_HTML_START_RE = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S
)


def looks_like_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def looks_like_html(data: bytes) -> bool:
    return bool(_HTML_START_RE.match(data[:4096].removeprefix(b"\xef\xbb\xbf")))


def html_main_text(html: str, name: str) -> str:
    """The article text of an HTML page, without navigation, ads and footers."""
    import trafilatura

    # trafilatura logs each page it cannot parse at WARNING: our one error line says it instead.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    text = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_recall=True
    )
    if not text or not text.strip():
        raise InputError(f"{name}: no article text found in this HTML page")
    return text


def pdf_text(data: bytes, name: str) -> str:
    """The text of a PDF's pages, in order."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{name}: the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(f"{name}: cannot read this PDF ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise InputError(f"{name}: the PDF has no extractable text (a scan? run OCR on it first)")
    return text
