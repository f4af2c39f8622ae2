"""Import and export of the procedure inventory as a survey spreadsheet CSV.

The file has one header row with the Japanese column names in ``COLUMNS`` (in
any order) and one procedure per row, with coded values written as their
Japanese labels (see ``madoguchi.inventory.labels``). Import accepts UTF-8 with
or without a byte order mark and CP932, the encoding Excel uses for "CSV" on
Japanese Windows. Import is all or nothing: any problem rejects the whole file,
and ``InventoryCsvError`` lists every problem found, each with the row number as
Excel shows it (the header is row 1) and the column header.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import ValidationError

from madoguchi.i18n import translate
from madoguchi.inventory.labels import (
    LEGAL_BASIS_LABELS,
    ONLINE_STATUS_LABELS,
    SEAL_REVIEW_AUTHORITY_LABELS,
    SEAL_STATUS_LABELS,
    ValueLabel,
    code_for_japanese,
    format_fiscal_year,
    label_of,
    parse_fiscal_year,
)
from madoguchi.inventory.models import Procedure, find_consistency_problems

ExportEncoding = Literal["utf-8-sig", "cp932"]

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CP932_STRAY_BYTE_CHARACTERS = frozenset("\u0080\uf8f0\uf8f1\uf8f2\uf8f3")


@dataclass(frozen=True)
class CsvProblem:
    """One problem found in a CSV file.

    ``row`` is the row number as a spreadsheet shows it, with the header as row 1,
    and is None for problems with the file as a whole. ``key`` names a message
    under ``inventory.problem.`` in the catalogs.
    """

    row: int | None
    column: str | None
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, locale: str = "ja") -> str:
        """Return the problem as a sentence in ``locale``, with its row and column."""
        problem = translate(f"inventory.problem.{self.key}", locale, **self.params)
        if self.row is None:
            return translate("inventory.csv.file_problem", locale, problem=problem)
        if self.column is None:
            return translate("inventory.csv.row_problem", locale, row=self.row, problem=problem)
        return translate(
            "inventory.csv.cell_problem", locale, row=self.row, column=self.column, problem=problem
        )


class InventoryCsvError(ValueError):
    """A CSV file was rejected, or an inventory could not be written as CSV.

    ``problems`` lists every problem found, not only the first.
    """

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = problems
        summary = "; ".join(problem.message("en") for problem in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s) in inventory CSV: {summary}{more}")

    def messages(self, locale: str = "ja") -> list[str]:
        """Return every problem as a sentence in ``locale``."""
        return [problem.message(locale) for problem in self.problems]


class _CellError(Exception):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


# --- cell parsers: text → value, raising _CellError ---------------------------------------


def _normalize(text: str) -> str:
    # NFKC turns full-width digits, slashes and brackets typed in Japanese input mode
    # into ASCII. Only structured values go through it, never names or notes.
    return unicodedata.normalize("NFKC", text).strip()


def _parse_text(max_length: int, pattern: str | None = None, pattern_key: str = "") -> Callable:
    def parse(text: str) -> str | None:
        if not text:
            return None
        if len(text) > max_length:
            raise _CellError("too_long", max_length=max_length, length=len(text))
        if pattern is not None and not re.fullmatch(pattern, text):
            raise _CellError(pattern_key, value=text)
        return text

    return parse


def _parse_choice(labels: tuple[ValueLabel, ...]) -> Callable:
    def parse(text: str) -> str | None:
        if not text:
            return None
        code = code_for_japanese(labels, text) or code_for_japanese(labels, _normalize(text))
        if code is None:
            allowed = " / ".join(label.ja for label in labels)
            raise _CellError("invalid_choice", value=text, allowed=allowed)
        return code

    return parse


def _parse_date(text: str) -> date | None:
    if not text:
        return None
    normalized = _normalize(text)
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", normalized)
    if match is None:
        raise _CellError("invalid_date", value=text)
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _CellError("invalid_date", value=text) from None


def _parse_integer(minimum: int, maximum: int, zero_means_none: bool = False) -> Callable:
    def parse(text: str) -> int | None:
        if not text:
            return None
        normalized = _normalize(text).replace(",", "").removesuffix("円").removesuffix("件").strip()
        if not re.fullmatch(r"\d+", normalized):
            raise _CellError("invalid_integer", value=text)
        number = int(normalized)
        if zero_means_none and number == 0:
            return None
        if not minimum <= number <= maximum:
            raise _CellError("out_of_range", value=text, minimum=minimum, maximum=maximum)
        return number

    return parse


def _parse_fee(text: str) -> int | None:
    if _normalize(text) in ("なし", "無料", "-"):
        return None
    return _parse_integer(1, 100_000_000, zero_means_none=True)(text)


def _parse_fiscal_year(text: str) -> int | None:
    if not text:
        return None
    year = parse_fiscal_year(text)
    if year is None:
        raise _CellError("invalid_fiscal_year", value=text)
    if not 2019 <= year <= 2100:
        raise _CellError("out_of_range", value=text, minimum=2019, maximum=2100)
    return year


# --- cell formatters: value → text ------------------------------------------------------------


def _format_choice(labels: tuple[ValueLabel, ...]) -> Callable:
    return lambda value: "" if value is None else label_of(labels, value).ja


def _format_plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _format_fiscal_year(value: int | None) -> str:
    return "" if value is None else format_fiscal_year(value)


@dataclass(frozen=True)
class Column:
    """One column of the survey CSV and how its cells map to a ``Procedure`` field."""

    field: str
    header: str
    header_en: str
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column(
        "procedure_id",
        "手続ID",
        "Procedure ID",
        _parse_text(64, r"[A-Za-z0-9][A-Za-z0-9_-]*", "invalid_procedure_id"),
        _format_plain,
        True,
    ),
    Column("name", "手続名", "Procedure name", _parse_text(200), _format_plain, True),
    Column("department", "所管部局", "Department", _parse_text(100), _format_plain, True),
    Column(
        "legal_basis",
        "根拠区分",
        "Legal basis",
        _parse_choice(LEGAL_BASIS_LABELS),
        _format_choice(LEGAL_BASIS_LABELS),
        True,
    ),
    Column(
        "seal_status",
        "押印",
        "Seal",
        _parse_choice(SEAL_STATUS_LABELS),
        _format_choice(SEAL_STATUS_LABELS),
        True,
    ),
    Column(
        "seal_review_authority",
        "押印見直し区分",
        "Seal review authority",
        _parse_choice(SEAL_REVIEW_AUTHORITY_LABELS),
        _format_choice(SEAL_REVIEW_AUTHORITY_LABELS),
        False,
    ),
    Column(
        "seal_abolished_on", "押印廃止日", "Seal abolished on", _parse_date, _format_plain, False
    ),
    Column(
        "online_status",
        "オンライン化状況",
        "Online status",
        _parse_choice(ONLINE_STATUS_LABELS),
        _format_choice(ONLINE_STATUS_LABELS),
        True,
    ),
    Column(
        "target_fiscal_year",
        "オンライン化目標年度",
        "Target fiscal year",
        _parse_fiscal_year,
        _format_fiscal_year,
        False,
    ),
    Column(
        "plan_step", "オンライン化段階", "Plan step", _parse_integer(1, 99), _format_plain, False
    ),
    Column("online_since", "オンライン化日", "Online since", _parse_date, _format_plain, False),
    Column("fee_yen", "手数料（円）", "Fee (yen)", _parse_fee, _format_plain, False),
    Column(
        "annual_volume",
        "年間件数",
        "Annual volume",
        _parse_integer(0, 100_000_000),
        _format_plain,
        True,
    ),
    Column(
        "definition_id",
        "手続定義ID",
        "Definition ID",
        _parse_text(100, r"[a-z0-9]+(?:-[a-z0-9]+)*", "invalid_definition_id"),
        _format_plain,
        False,
    ),
    Column("notes", "備考", "Notes", _parse_text(1000), _format_plain, False),
)

_COLUMN_BY_FIELD = {column.field: column for column in COLUMNS}
_COLUMN_BY_NORMALIZED_HEADER = {_normalize(column.header): column for column in COLUMNS}


# --- encoding ---------------------------------------------------------------------------------


def decode_csv_bytes(data: bytes) -> tuple[str, str]:
    """Decode a CSV file saved as UTF-8 (with or without BOM) or CP932.

    Returns the text and the encoding used. A byte order mark decides UTF-8.
    Otherwise the bytes are tried as strict UTF-8 first, because Japanese text in
    CP932 is almost never valid UTF-8 while the reverse often decodes to garbage,
    and then as strict CP932.

    Raises:
        InventoryCsvError: the bytes are UTF-16 or neither UTF-8 nor CP932.
    """
    if data.startswith(_UTF8_BOM):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InventoryCsvError(
                [CsvProblem(None, None, "invalid_utf8", {"position": exc.start})]
            ) from exc
    if data.startswith(_UTF16_BOMS):
        raise InventoryCsvError([CsvProblem(None, None, "utf16_not_supported")])
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = None
    # Python's cp932 codec maps the single bytes 0x80, 0xA0 and 0xFD-0xFF, which
    # no Japanese text uses, to U+0080 and U+F8F0-U+F8F3 instead of failing.
    if text is None or any(character in _CP932_STRAY_BYTE_CHARACTERS for character in text):
        raise InventoryCsvError([CsvProblem(None, None, "unknown_encoding")])
    return text, "cp932"


# --- import -----------------------------------------------------------------------------------


def read_inventory_csv(data: bytes) -> list[Procedure]:
    """Parse a survey CSV file into procedures, rejecting the whole file on any problem.

    Rows whose cells are all empty are skipped, because Excel often leaves them
    at the end of a sheet. Optional columns may be left out of the header; an
    unknown column is a problem, so no data is dropped silently.

    Raises:
        InventoryCsvError: lists every problem in the file.
    """
    text, _encoding = decode_csv_bytes(data)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise InventoryCsvError([CsvProblem(None, None, "empty_file")])

    columns, problems = _read_header(rows[0])
    if problems:
        raise InventoryCsvError(problems)

    procedures: list[Procedure] = []
    first_row_by_id: dict[str, int] = {}
    for index, cells in enumerate(rows[1:]):
        row_number = index + 2
        if not any(cell.strip() for cell in cells):
            continue
        procedure, row_problems = _read_row(row_number, cells, columns)
        problems.extend(row_problems)
        if procedure is None:
            continue

        first_row = first_row_by_id.setdefault(procedure.procedure_id, row_number)
        if first_row != row_number:
            problems.append(
                CsvProblem(
                    row_number,
                    _COLUMN_BY_FIELD["procedure_id"].header,
                    "duplicate_id",
                    {"value": procedure.procedure_id, "first_row": first_row},
                )
            )
        procedures.append(procedure)

    if problems:
        raise InventoryCsvError(problems)
    return procedures


def _read_header(header: list[str]) -> tuple[list[Column | None], list[CsvProblem]]:
    columns: list[Column | None] = []
    problems: list[CsvProblem] = []
    seen: set[str] = set()
    for cell in header:
        name = _normalize(cell)
        column = _COLUMN_BY_NORMALIZED_HEADER.get(name)
        if column is None:
            if name:
                allowed = "、".join(known.header for known in COLUMNS)
                problems.append(CsvProblem(1, cell, "unknown_column", {"allowed": allowed}))
            else:
                problems.append(CsvProblem(1, None, "empty_header", {"position": len(columns) + 1}))
        elif column.field in seen:
            problems.append(CsvProblem(1, cell, "duplicate_column"))
        else:
            seen.add(column.field)
        columns.append(column)

    for column in COLUMNS:
        if column.required and column.field not in seen:
            problems.append(CsvProblem(1, column.header, "missing_column"))
    return columns, problems


def _read_row(
    row_number: int, cells: list[str], columns: list[Column | None]
) -> tuple[Procedure | None, list[CsvProblem]]:
    problems: list[CsvProblem] = []
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        problems.append(
            CsvProblem(
                row_number, None, "too_many_cells", {"expected": len(columns), "actual": len(cells)}
            )
        )
    cells = cells + [""] * (len(columns) - len(cells))

    values: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column is None:
            continue
        text = _unprotect_formula(cell.strip())
        try:
            value = column.parse(text)
        except _CellError as error:
            problems.append(CsvProblem(row_number, column.header, error.key, error.params))
            continue
        if value is None and column.required:
            problems.append(CsvProblem(row_number, column.header, "required"))
            continue
        values[column.field] = value
    if problems:
        return None, problems

    for problem in find_consistency_problems(values):
        column = _COLUMN_BY_FIELD[problem.field]
        problems.append(CsvProblem(row_number, column.header, problem.key, problem.params))
    if problems:
        return None, problems

    try:
        return Procedure.model_validate(values), []
    except ValidationError as exc:
        # The cell parsers enforce the model's constraints, so this is a fallback for a
        # constraint added to the model without a matching parser check.
        for error in exc.errors():
            field_name = str(error["loc"][0]) if error["loc"] else ""
            column = _COLUMN_BY_FIELD.get(field_name)
            header = column.header if column else None
            problems.append(
                CsvProblem(row_number, header, "invalid_value", {"detail": error["msg"]})
            )
        return None, problems


# --- export -----------------------------------------------------------------------------------

# Excel runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def protect_formula(text: str) -> str:
    """Prefix a cell that Excel would run as a formula with an apostrophe."""
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def _unprotect_formula(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_PREFIXES) else text


def write_inventory_csv(
    procedures: Iterable[Procedure], encoding: ExportEncoding = "utf-8-sig"
) -> bytes:
    """Write procedures as a survey CSV that ``read_inventory_csv`` reads back unchanged.

    ``utf-8-sig`` (UTF-8 with BOM) opens correctly in Excel and encodes every
    character. ``cp932`` suits older tools but lacks characters such as 𠮷
    (U+20BB7). Rather than drop or replace them, the export fails.

    Raises:
        InventoryCsvError: with ``cp932``, lists every cell holding a character CP932
            cannot encode, by row and column.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in COLUMNS])

    problems: list[CsvProblem] = []
    for index, procedure in enumerate(procedures):
        row_number = index + 2
        cells = [
            protect_formula(column.format(getattr(procedure, column.field))) for column in COLUMNS
        ]
        if encoding == "cp932":
            problems.extend(_find_unencodable_cells(row_number, cells, [c.header for c in COLUMNS]))
        writer.writerow(cells)

    if problems:
        raise InventoryCsvError(problems)
    return buffer.getvalue().encode(encoding)


def _find_unencodable_cells(
    row_number: int, cells: list[str], headers: list[str]
) -> list[CsvProblem]:
    problems: list[CsvProblem] = []
    for header, cell in zip(headers, cells, strict=True):
        try:
            cell.encode("cp932")
        except UnicodeEncodeError as exc:
            character = cell[exc.start]
            problems.append(
                CsvProblem(
                    row_number,
                    header,
                    "not_encodable_cp932",
                    {"character": character, "codepoint": f"U+{ord(character):04X}"},
                )
            )
    return problems
