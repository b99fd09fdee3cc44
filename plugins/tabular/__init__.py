"""Tabular inputs: CSV, TSV, Excel (.xlsx), JSON and Parquet files, checked and converted like
JSON Lines through the input-reader hook (install ftlint[tabular] for pandas, openpyxl and
pyarrow; they are imported only when such a file is read, never on a JSON Lines run).

Each row becomes one record whose keys are the column names. A cell that is empty (or NaN, or
null in Parquet) is a missing key, never the string "nan"; every other cell of a CSV, TSV or
Excel sheet is the text it holds (numbers as written). Lines reported: the row as a spreadsheet
numbers it (the header is row 1) for CSV, TSV and Excel; the line where the object starts for
JSON (its number when objects share a line); the row number (from 1) for Parquet. A file that cannot be read whole is an error naming
the row or the reason (exit 2), never a partial check.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterable, Iterator

import orjson

from ftlint import api, hookimpl

ZIP, PARQUET, OLE = b"PK\x03\x04", b"PAR1", b"\xd0\xcf\x11\xe0"


class TabularError(OSError):
    """A file that cannot be read as its extension says; the message says why."""


def _module(name: str, kind: str) -> Any:
    """Import a library on first use, or say how to install it (an error of the file read)."""
    try:
        return api.import_extra(name, "tabular", f"reading {kind} files")
    except api.MissingExtra as error:
        raise TabularError(str(error)) from None


def _head(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read(4096)


def _records(header: list[Any], rows: Iterable[tuple[Any, ...]], first: int) -> Iterator[tuple[int, bytes]]:
    """(row number, JSON object) per row that holds a value; empty and NaN cells are left out."""
    names = [name if isinstance(name, str) else None for name in header]
    seen = [n for n in names if n is not None]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise TabularError(f"column {twice[0]!r} appears twice in the header row: rename one")
    for number, row in enumerate(rows, first):
        record = {}
        for column, (name, value) in enumerate(zip(names, row), 1):
            if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
                continue
            if name is None:
                raise TabularError(f"row {number}: column {column} holds a value but has no name in the header row")
            record[name] = value
        if record:
            yield number, orjson.dumps(record, default=str)


def _text_table(path: str, kind: str, sep: str) -> Iterator[tuple[int, bytes]]:
    head = _head(path)
    if head.startswith((ZIP, PARQUET, OLE)) or b"\x00" in head:
        raise TabularError(f"not {kind} text but binary data (an Excel workbook or another format?): give the file its own extension")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"[")):
        raise TabularError(f"the content is JSON, not {kind}: name the file .jsonl (one object per line) or .json")
    pandas = _module("pandas", kind)
    try:
        frame = pandas.read_csv(path, sep=sep, header=None, dtype=str, keep_default_na=False, na_values=[""],
                                encoding="utf-8-sig", skip_blank_lines=False)
    except pandas.errors.EmptyDataError:
        raise TabularError(f"the file is empty: no header row (a {kind} file names its columns in its first row)") from None
    except pandas.errors.ParserError as error:
        detail = str(error).strip().removeprefix("Error tokenizing data. C error: ")
        raise TabularError(f"not a valid {kind} table: {detail} (quote a cell that holds the delimiter)") from None
    except UnicodeDecodeError:
        raise TabularError(f"not UTF-8 text: save the {kind} file as UTF-8") from None
    return _frame(frame)


def _frame(frame: Any) -> Iterator[tuple[int, bytes]]:
    """The rows of a table read without a header: its first row names the columns (row 1)."""
    rows = frame.itertuples(index=False, name=None)
    header = next(rows, None)
    if header is None:
        raise TabularError("the file is empty: no header row")
    return _records(list(header), rows, 2)


def read_csv(path: str) -> Iterator[tuple[int, bytes]]:
    return _text_table(path, "CSV", ",")


def read_tsv(path: str) -> Iterator[tuple[int, bytes]]:
    return _text_table(path, "TSV", "\t")


def read_xlsx(path: str) -> Iterator[tuple[int, bytes]]:
    """The one sheet of a workbook that holds data (several: an error, so nothing goes unread)."""
    head = _head(path)
    if head.startswith(OLE):
        raise TabularError("an Excel 97-2003 workbook (.xls), not .xlsx: save it as .xlsx or CSV")
    if not head.startswith(ZIP):
        raise TabularError("not an Excel workbook (an .xlsx file is a ZIP archive): give the file its own extension")
    pandas = _module("pandas", "Excel")
    _module("openpyxl", "Excel")
    try:
        sheets = pandas.read_excel(path, sheet_name=None, header=None, dtype=str, keep_default_na=False, na_values=[""])
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a damaged workbook; all mean the same
        raise TabularError(f"not a readable Excel workbook: {type(error).__name__}: {error}") from None
    filled = {name: frame for name, frame in sheets.items() if not frame.dropna(how="all").empty}
    if len(filled) > 1:
        raise TabularError(f"the workbook has {len(filled)} sheets with data ({', '.join(map(repr, filled))}): ftlint reads one; "
                           "save each sheet as its own file")
    if not filled:
        raise TabularError("the workbook is empty: no header row")
    return _frame(next(iter(filled.values())))


def read_parquet(path: str) -> Iterator[tuple[int, bytes]]:
    if not _head(path).startswith(PARQUET):
        raise TabularError("not a Parquet file (no PAR1 signature): give the file its own extension")
    parquet = _module("pyarrow.parquet", "Parquet")
    try:
        table = parquet.ParquetFile(path)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise TabularError(f"not a readable Parquet file: {type(error).__name__}: {error}") from None
    number = 1
    for batch in table.iter_batches():
        rows = batch.to_pylist()
        yield from _records(batch.schema.names, (tuple(row.values()) for row in rows), number)
        number += len(rows)


def read_json(path: str) -> list[tuple[int, bytes]]:
    """An array of objects, or objects one after another (JSON Lines or pretty-printed): each
    object with the line it starts on, or with its number when objects share a line (an array
    on one line). Values are kept as written (big integers included)."""
    records = list(_json_values(path))
    if any(a[0] >= b[0] for a, b in zip(records, records[1:])):
        return [(number, value) for number, (_, value) in enumerate(records, 1)]
    return records


def _json_values(path: str) -> Iterator[tuple[int, bytes]]:
    try:
        with open(path, encoding="utf-8-sig") as stream:
            text = stream.read()
    except UnicodeDecodeError:
        raise TabularError("not UTF-8 text: save the JSON file as UTF-8") from None
    decoder = json.JSONDecoder()
    at = _skip(text, 0)
    array = text.startswith("[", at)
    if array:
        at = _skip(text, at + 1)
    line, counted = 1, 0
    while at < len(text) and not (array and text[at] == "]"):
        line += text.count("\n", counted, at)
        counted = at
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as error:
            raise TabularError(f"line {error.lineno}: not valid JSON: {error.msg}") from None
        yield line, json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
        at = _skip(text, end)
        if array:
            if text.startswith(",", at):
                at = _skip(text, at + 1)
            elif not text.startswith("]", at):
                raise TabularError(f"line {line + text.count(chr(10), counted, at)}: the array's values must be separated by commas")
    if array and not text.startswith("]", at):
        raise TabularError("the JSON array is not closed: the file is cut off")
    if array and _skip(text, at + 1) < len(text):
        raise TabularError("text follows the JSON array")


def _skip(text: str, at: int) -> int:
    """The position of the next character that is not whitespace."""
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


@hookimpl
def ftlint_get_input_readers() -> dict[str, Any]:
    return {".csv": read_csv, ".tsv": read_tsv, ".xlsx": read_xlsx, ".json": read_json, ".parquet": read_parquet}
