"""Files for attachment tests, generated in memory: PDFs, images with GPS EXIF, HEIC."""

from __future__ import annotations

import io

# "MZ" header and the DOS stub text of a Windows executable.
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + (
    b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
# Latitude and longitude of the Tochigi prefectural office, as EXIF rationals.
GPS_LATITUDE = (36.0, 33.0, 57.0)
GPS_LONGITUDE = (139.0, 52.0, 58.0)


def _pdf(configure=None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if configure is not None:
        configure(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf() -> bytes:
    return _pdf()


def pdf_with_javascript() -> bytes:
    """A PDF whose open action runs JavaScript, written with pypdf's generic objects."""
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    def add_open_action(writer) -> None:
        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('hello');"),
            }
        )
        writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)

    return _pdf(add_open_action)


def pdf_with_embedded_file() -> bytes:
    return _pdf(lambda writer: writer.add_attachment("payload.txt", b"not for staff"))


def encrypted_pdf() -> bytes:
    return _pdf(lambda writer: writer.encrypt("secret-password"))


def _image(size: tuple[int, int] = (120, 160)):
    from PIL import Image

    image = Image.new("RGB", size, (200, 120, 40))
    for x in range(size[0] // 2):
        image.putpixel((x, x), (10, 10, 10))
    return image


def jpeg_with_gps() -> bytes:
    from PIL import ExifTags

    image = _image()
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "TestCamera"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def gps_of(data: bytes) -> dict:
    """Return the GPS IFD of an image (empty when it has none)."""
    from PIL import ExifTags, Image

    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def png() -> bytes:
    buffer = io.BytesIO()
    _image().save(buffer, "PNG")
    return buffer.getvalue()


def heic() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    buffer = io.BytesIO()
    _image().save(buffer, "HEIF", quality=80)
    return buffer.getvalue()


def image_format(data: bytes) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.format
