"""Render a notice as a PDF with embedded fonts (WeasyPrint) and a QR code to the
verification page.

Fonts come from the system through fontconfig: Noto Serif/Sans CJK JP (Debian
``fonts-noto-cjk``) and IPAmj明朝 (Debian ``fonts-ipamj-mincho``) as the fallback for
kanji that Noto lacks. WeasyPrint embeds a subset of every font it uses, so the PDF
shows the same glyphs on machines without these fonts.
"""

from __future__ import annotations

import base64
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from madoguchi.notices.models import NoticeRecord
from madoguchi.procedures.models import TOKYO

_TEMPLATES = Path(__file__).parent / "templates"


@cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def verification_url(public_base_url: str, code: str) -> str:
    return f"{public_base_url}/notices/verify?code={quote(code)}"


def qr_code_data_uri(text: str) -> str:
    """Return an SVG QR code of ``text`` as a data URI (error correction level M)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


def _japanese_date(moment: datetime) -> str:
    local = moment.astimezone(TOKYO)
    return f"{local.year}年{local.month}月{local.day}日"


def statement(notice: NoticeRecord) -> str:
    """Return the operative sentence of the notice (what was decided)."""
    if notice.kind == "rejection":
        return f"{notice.applicant_name} 様から提出のあった下記の申請については、下記の理由により認められないことと決定したので通知します。"
    if notice.kind == "acceptance":
        return f"{notice.applicant_name} 様から提出のあった下記の届出等を受理したので通知します。"
    if notice.kind == "licence":
        return f"{notice.applicant_name} 様の下記の申請について審査の結果、免許することと決定したので通知します。"
    return f"{notice.applicant_name} 様の下記の申請について審査の結果、許可することと決定したので通知します。"


def render_html(
    notice: NoticeRecord, submitted_at: datetime, verify_url: str, reason: str | None = None
) -> str:
    return _environment().get_template("notice.html").render(
        notice=notice,
        statement=statement(notice),
        reason=reason,
        issued_date=_japanese_date(notice.issued_at),
        decided_date=_japanese_date(notice.decided_at),
        submitted_date=_japanese_date(submitted_at),
        verify_url=verify_url,
        qr_data_uri=qr_code_data_uri(verify_url),
    )


def render_pdf(
    notice: NoticeRecord, submitted_at: datetime, verify_url: str, reason: str | None = None
) -> bytes:
    """Render the notice as tagged PDF bytes with embedded font subsets."""
    from weasyprint import HTML

    html = render_html(notice, submitted_at, verify_url, reason)
    return HTML(string=html).write_pdf(
        pdf_identifier=notice.verification_code.encode("ascii"), pdf_tags=True
    )
