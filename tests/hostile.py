"""Hostile scenario files of issue 16, generated (never stored): each must end in a
one-line error within seconds, without gigabytes of memory.

Used by tests/test_bounded_parsing.py (the loaders), tests/test_web_hardening.py (the
server answers 4xx while /healthz keeps answering) and tests/test_web_browser.py.
"""

from __future__ import annotations

import io
import struct
import zlib

_CT = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       b'<Default Extension="xml" ContentType="application/xml"/>'
       b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       b'</Types>')  # fmt: skip
_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
         b'</Relationships>')  # fmt: skip
_WB = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')  # fmt: skip
_WB_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            b'</Relationships>')  # fmt: skip
_SHEET_HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def _cell(ref: str, value) -> bytes:
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'.encode()
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()


def _row(n: int, values) -> bytes:
    cols = "ABCDEFGH"
    return f'<row r="{n}">'.encode() + b"".join(_cell(f"{cols[j]}{n}", v) for j, v in enumerate(values)) + b"</row>"


def _zip(members: list[tuple[str, bytes, bytes, int, int]]) -> bytes:
    """A zip archive from already deflated members ``(name, deflated, _, crc, size)``, written by hand."""
    out = io.BytesIO()
    central = []
    for name, deflated, _, crc, size in members:
        offset = out.tell()
        nb = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(nb), 0) + nb)
        out.write(deflated)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(deflated), size,
                                   len(nb), 0, 0, 0, 0, 0, offset) + nb)  # fmt: skip
    start = out.tell()
    for c in central:
        out.write(c)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _member(name: str, data: bytes) -> tuple[str, bytes, bytes, int, int]:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (name, c.compress(data) + c.flush(), b"", zlib.crc32(data), len(data))


def _repeated_member(name: str, head: bytes, block: bytes, times: int, tail: bytes) -> tuple[str, bytes, bytes, int, int]:
    """``head + block * times + tail`` deflated in milliseconds: after a full flush the
    compressor starts afresh, so each copy of the block deflates to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    once = c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    return (name, first + once * times + last, b"", crc, len(head) + len(block) * times + len(tail))


def _xlsx(sheet: tuple[str, bytes, bytes, int, int] | bytes) -> bytes:
    """A minimal workbook with one sheet (its XML, or an already deflated member)."""
    if isinstance(sheet, bytes):
        sheet = _member("xl/worksheets/sheet1.xml", sheet)
    return _zip([_member("[Content_Types].xml", _CT), _member("_rels/.rels", _RELS), _member("xl/workbook.xml", _WB),
                 _member("xl/_rels/workbook.xml.rels", _WB_RELS), sheet])  # fmt: skip


HEADER = ("Actor", "Capability", "Position", "Salience")


def xlsx_huge_dimension() -> bytes:
    """About 1.5 KB: one data row, ``<dimension ref="A1:XFD1048576"/>`` and a cell at XFD1048576."""
    return _xlsx(b"".join([_SHEET_HEAD, b'<dimension ref="A1:XFD1048576"/><sheetData>', _row(1, HEADER), _row(2, ("A", 10, 50, 80)),
                           b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', b"</sheetData></worksheet>"]))  # fmt: skip


def xlsx_far_cell() -> bytes:
    """No dimension declared, one cell at XFD1048576 (the declaration cannot be trusted either way)."""
    return _xlsx(b"".join([_SHEET_HEAD, b"<sheetData>", _row(1, HEADER), _row(2, ("A", 10, 50, 80)),
                           b'<row r="3"><c r="XFD3"><v>1</v></c></row>', b"</sheetData></worksheet>"]))  # fmt: skip


def xlsx_zip_bomb(megabytes: int = 678) -> bytes:
    """A zip of a few hundred KB that expands to ``megabytes`` MB of sheet XML (the same row again and again)."""
    row = _row(2, ("A", 10, 50, 80))
    block = row * (1024 * 1024 // len(row))
    return _xlsx(_repeated_member("xl/worksheets/sheet1.xml", _SHEET_HEAD + b"<sheetData>" + _row(1, HEADER), block,
                                  megabytes, b"</sheetData></worksheet>"))  # fmt: skip


def xlsx_huge_cell(megabytes: int = 1024) -> bytes:
    """About 1 MB of zip holding one cell of ``megabytes`` MB of text."""
    head = _SHEET_HEAD + b"<sheetData>" + _row(1, HEADER) + b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
    return _xlsx(_repeated_member("xl/worksheets/sheet1.xml", head, b"x" * (1024 * 1024), megabytes,
                                  b"</t></is></c></row></sheetData></worksheet>"))  # fmt: skip


def xlsx_long_cell(chars: int = 200_000) -> bytes:
    """A small workbook with one cell longer than any scenario needs (within the unzipped cap)."""
    return _xlsx(b"".join([_SHEET_HEAD, b"<sheetData>", _row(1, HEADER), _row(2, ("x" * chars, 10, 50, 80)), b"</sheetData></worksheet>"]))


def csv_many_actors(n: int = 200_000) -> bytes:
    """About 3.2 MB: ``n`` actors in a flat CSV table."""
    return ("Actor,Capability,Position,Salience\n" + "".join(f"a{i},10,{i % 100},50\n" for i in range(n))).encode()


def yaml_alias_bomb(under_extensions: bool = False) -> bytes:
    """About 2.7 KB: anchors x10 over 7 levels (10 million nodes once expanded)."""
    lines = ["a0: &a0 [" + ", ".join(["lolololololololololololololololololololololol"] * 10) + "]"]
    for i in range(1, 8):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    body = "\n".join(lines)
    scenario = ("title: bomb\nissues:\n  - {id: x, min: 0, max: 100}\nactors:\n"
                "  - {id: A, capability: 10, positions: {x: 10}, saliences: {x: 50}}\n"
                "  - {id: B, capability: 10, positions: {x: 90}, saliences: {x: 50}}\n")  # fmt: skip
    if under_extensions:
        return (scenario + "extensions:\n" + "\n".join("  " + line for line in body.splitlines()) + "\n").encode()
    return (body + "\n" + scenario).encode()


def json_deep(depth: int = 100_000) -> bytes:
    """``{"title": [[[[...]]]]}`` nested ``depth`` deep."""
    return b'{"title": "deep", "extensions": {"x": ' + b"[" * depth + b"]" * depth + b"}}"


def json_big_ids() -> dict:
    """Numbers of 2**63 and more where the server expects ids, seeds and counts."""
    return {"run_id": 2**63, "lib": 2**63 + 5, "seed": 2**64, "draws": 2**70}
