"""Content checks of an uploaded file: real type from magic bytes, PDF active content,
image re-encoding without metadata.

pypdf, Pillow and pillow-heif are imported inside the functions that use them, so
importing this module stays cheap for handlers that never inspect a file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from madoguchi.attachments.models import CONTENT_TYPE_BY_KIND, RejectionReason

# filetype's extension → file kind of a definition's ``accept`` list.
_KIND_BY_EXTENSION = {"pdf": "pdf", "jpg": "jpeg", "png": "png", "heic": "heic"}

# Names whose presence anywhere in a PDF's object graph means it can run code,
# open other programs or carry other files.
_ACTIVE_PDF_NAMES = frozenset(
    {"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA"}
)
_ACTIVE_PDF_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute"})
# A guard against PDFs built to make the walk slow; real certificates have far fewer objects.
_MAX_PDF_OBJECTS = 200_000


class FileRejected(Exception):
    """The file failed a check; ``reason`` names the check."""

    def __init__(self, reason: RejectionReason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class CheckedFile:
    """File to store under ``accepted/``: the original PDF or a re-encoded image."""

    body: bytes
    content_type: str
    extension: str


def detect_kind(head: bytes) -> str | None:
    """Return the file kind from the magic bytes of ``head`` (the first bytes), or None."""
    import filetype

    guess = filetype.guess(head)
    return _KIND_BY_EXTENSION.get(guess.extension) if guess else None


def check_file(data: bytes, kind: str) -> CheckedFile:
    """Check a file whose magic bytes identify it as ``kind`` and return what staff may open.

    Raises:
        FileRejected: the PDF is encrypted, active or unreadable, or the image is unreadable.
    """
    if kind == "pdf":
        _check_pdf(data)
        return CheckedFile(data, CONTENT_TYPE_BY_KIND["pdf"], ".pdf")
    return _reencode_image(data, kind)


def _check_pdf(data: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise FileRejected(RejectionReason.PDF_ENCRYPTED)
        if len(reader.pages) == 0:
            raise FileRejected(RejectionReason.PDF_UNREADABLE)
        if _has_active_content(reader.trailer):
            raise FileRejected(RejectionReason.PDF_ACTIVE_CONTENT)
    except FileRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise FileRejected(RejectionReason.PDF_UNREADABLE) from exc


def _has_active_content(root: object) -> bool:
    """Walk every object reachable from the trailer and look for active content."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    stack = [root]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            reference = (node.idnum, node.generation)
            if reference in seen:
                continue
            seen.add(reference)
            node = node.get_object()
        visited += 1
        if visited > _MAX_PDF_OBJECTS:
            raise FileRejected(RejectionReason.PDF_UNREADABLE)
        if isinstance(node, DictionaryObject):
            if _ACTIVE_PDF_NAMES.intersection(node.keys()):
                return True
            if node.get("/S") in _ACTIVE_PDF_ACTIONS:
                return True
            # The page tree's /Parent links lead back up; /Parent is skipped to keep
            # the walk short, because every parent is reached from the root anyway.
            stack.extend(value for key, value in node.items() if key != "/Parent")
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _reencode_image(data: bytes, kind: str) -> CheckedFile:
    """Decode and encode the pixels again, which drops EXIF (GPS position), XMP and comments."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if kind == "heic":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Apply the EXIF orientation to the pixels before the EXIF block is dropped.
            upright = ImageOps.exif_transpose(image)
            icc_profile = image.info.get("icc_profile")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise FileRejected(RejectionReason.IMAGE_UNREADABLE) from exc

    output = io.BytesIO()
    if kind == "png":
        mode = upright.mode if upright.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else "RGBA"
        clean = Image.frombytes(mode, upright.size, upright.convert(mode).tobytes())
        if mode == "P":
            clean.putpalette(upright.getpalette() or [])
        clean.save(output, "PNG", icc_profile=icc_profile)
        return CheckedFile(output.getvalue(), CONTENT_TYPE_BY_KIND["png"], ".png")

    # JPEG and HEIC become JPEG, which every staff computer opens.
    rgb = upright.convert("RGB")
    clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())
    clean.save(output, "JPEG", quality=90, icc_profile=icc_profile)
    return CheckedFile(output.getvalue(), CONTENT_TYPE_BY_KIND["jpeg"], ".jpg")
