"""Hostile files: what a spreadsheet may claim before any reader allocates for it (issue 11, finding 6).

python-calamine builds a dense grid from A1 to the last cell it sees: one cell at XFD1048576 in a
4.8 KB workbook asks for 17 billion cells and the process aborts. So before the reader runs,
``check(data, name)`` looks at the file with the standard library only, with bounded memory:

* the file's size (``MAX_FILE_BYTES``);
* XLSX/ODS are ZIP archives: the number of members, each member's *real* uncompressed size
  (the deflate stream is inflated chunk by chunk and counted, so a lying header does not help),
  the total, and the compression ratio of big members (zip bombs);
* every XML member is stream-parsed with expat in ``CHUNK`` pieces: a DOCTYPE (and so any entity,
  "billion laughs") is refused outright — spreadsheets never carry one; for XLSX each
  ``<dimension ref>`` and the farthest cell actually present (explicit ``r="…"`` references and
  implicit positions alike), for ODS the farthest non-empty cell counting
  ``number-rows-repeated``/``number-columns-repeated``; a sheet beyond ``MAX_ROWS`` rows,
  ``MAX_COLUMNS`` columns or ``MAX_CELLS`` cells is refused, as is a workbook of more than
  ``MAX_SHEETS`` sheets.

Legacy XLS (BIFF, an OLE2 file) is bounded by its size and by its format (65,536 × 256); the
sheet's extent is checked by ``check_extent`` from calamine's height and width before any Python
rows are made. Messages are Vietnamese and name the file, the sheet and the limit.
"""

from __future__ import annotations

import copy
import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from xml.parsers import expat

from . import FileRefused

MAX_FILE_BYTES = 50 * 1024 * 1024  # the upload page's limit, and the CLI's
MAX_MEMBERS = 1_000  # an XLSX of 100 sheets has ~110 members
MAX_SHEETS = 100
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # all members together, as really inflated
MAX_RATIO = 100  # uncompressed ÷ compressed, for members of RATIO_FLOOR bytes or more
RATIO_FLOOR = 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 200
MAX_CELLS = 10_000_000  # rows × columns of the grid a reader would build (e.g. 200,000 × 50)
CHUNK = 1024 * 1024

NOTHING = "Không có gì được ghi."
_REF = re.compile(r"\$?([A-Za-z]+)\$?([0-9]+)")
_HUGE = 10**9  # any reference beyond Excel's own grid


def _vn(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def check_size(size: int, name: str) -> None:
    if size > MAX_FILE_BYTES:
        raise FileRefused(f"«{name}»: tệp quá lớn ({_vn(size)} byte; tối đa {_vn(MAX_FILE_BYTES)} byte = "
                          f"{MAX_FILE_BYTES // 1024 // 1024} MB). Hãy chia danh sách thành nhiều tệp. {NOTHING}")


def check_extent(name: str, sheet: str | None, rows: int, columns: int) -> None:
    """Refuse a sheet whose grid (from A1) is beyond the limits."""
    where = f"«{name}», trang «{sheet}»" if sheet is not None else f"«{name}»"
    if rows > MAX_ROWS:
        raise FileRefused(f"{where}: quá nhiều dòng ({_vn(rows)}; tối đa {_vn(MAX_ROWS)} dòng mỗi trang). "
                          f"Hãy xoá các dòng thừa ở cuối trang hoặc chia thành nhiều tệp. {NOTHING}")
    if columns > MAX_COLUMNS:
        raise FileRefused(f"{where}: quá nhiều cột ({_vn(columns)}; tối đa {MAX_COLUMNS} cột). "
                          f"Hãy xoá các cột thừa bên phải. {NOTHING}")
    if rows * columns > MAX_CELLS:
        raise FileRefused(f"{where}: bảng quá lớn ({_vn(rows)} dòng × {columns} cột; tối đa {_vn(MAX_CELLS)} ô). "
                          f"Hãy xoá các dòng, cột thừa hoặc chia thành nhiều tệp. {NOTHING}")


def check_sheet_count(name: str, count: int) -> None:
    if count > MAX_SHEETS:
        raise FileRefused(f"«{name}»: quá nhiều trang tính ({_vn(count)}; tối đa {MAX_SHEETS}). {NOTHING}")


def _refuse_zip(name: str, why: str) -> FileRefused:
    return FileRefused(f"«{name}»: {why} Tệp có thể bị hỏng hoặc được tạo để làm hỏng máy chủ. {NOTHING}")


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _ref(value: str) -> tuple[int, int]:
    """(row, column), 1-based, of an A1 reference; something beyond any limit when it is not one
    (a reader may still make sense of it: it must not be given the chance)."""
    m = _REF.fullmatch(value.strip())
    if not m or len(m.group(1)) > 3 or len(m.group(2)) > 7:
        return _HUGE, _HUGE
    return int(m.group(2)), _col_number(m.group(1))


@dataclass
class _Extent:
    """The farthest cell seen in one sheet, and the sheet's own claim (XLSX ``<dimension>``)."""

    sheet: str
    rows: int = 0
    columns: int = 0

    def reach(self, row: int, column: int) -> None:
        self.rows, self.columns = max(self.rows, row), max(self.columns, column)


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


class _XlsxScan:
    """Expat handlers for one XLSX part: rows and cells as calamine places them (local names,
    like calamine: the namespace is not what decides)."""

    def __init__(self, book: str, sheet: str):
        self.book, self.extent = book, _Extent(sheet)
        self.row = 0
        self.column = 0

    def start(self, tag, attrs):
        local = _local(tag)
        if local == "c":
            self.row, self.column = _ref(attrs["r"]) if "r" in attrs else (max(self.row, 1), self.column + 1)
            self._reach(self.row, self.column)
        elif local == "row":
            self.row = _ref("A" + attrs["r"])[0] if "r" in attrs else self.row + 1
            self.column = 0
        elif local == "dimension" and "ref" in attrs:
            self._reach(*_ref(attrs["ref"].split(":")[-1]))

    def _reach(self, row, column):
        self.extent.reach(row, column)
        if self.extent.rows > MAX_ROWS or self.extent.columns > MAX_COLUMNS:
            check_extent(self.book, self.extent.sheet, self.extent.rows, self.extent.columns)

    def end(self, tag):
        pass

    def done(self) -> list[_Extent]:
        return [self.extent]


def _repeat(attrs, key: str) -> int:
    value = next((v for k, v in attrs.items() if _local(k) == key), "1")
    return int(value) if value.isdigit() and len(value) < 12 else MAX_ROWS * MAX_COLUMNS + 1


class _OdsScan:
    """Expat handlers for ODS ``content.xml``: the farthest non-empty cell of each table, repeats
    counted (trailing repeated empty rows and cells, which LibreOffice always writes, do not count)."""

    def __init__(self, book: str, sheet: str):
        self.book, self.extents = book, []
        self.depth = 0  # element depth inside the current cell, 0 = not in a cell
        self.row = self.row_repeat = self.column = self.cell_repeat = 0
        self.row_used = self.cell_used = False

    def start(self, tag, attrs):
        local = _local(tag)
        if self.depth:
            self.depth += 1
            self.cell_used = True
        elif local == "table":
            name = next((v for k, v in attrs.items() if _local(k) == "name"), str(len(self.extents) + 1))
            self.extents.append(_Extent(name))
            check_sheet_count(self.book, len(self.extents))
            self.row = 0
        elif local == "table-row" and self.extents:
            self.row_repeat, self.column, self.row_used = _repeat(attrs, "number-rows-repeated"), 0, False
        elif local in ("table-cell", "covered-table-cell") and self.extents:
            self.depth, self.cell_repeat = 1, _repeat(attrs, "number-columns-repeated")
            self.cell_used = any(_local(k).startswith("value") for k in attrs)

    def end(self, tag):
        if self.depth > 1:
            self.depth -= 1
            return
        local = _local(tag)
        if self.depth == 1:
            self.depth = 0
            self.column += self.cell_repeat
            if self.cell_used:
                self.row_used = True
                self._reach(self.row + 1, self.column)
        elif local == "table-row" and self.extents:
            if self.row_used:
                self._reach(self.row + self.row_repeat, 0)
            self.row += self.row_repeat

    def _reach(self, row, column):
        extent = self.extents[-1]
        extent.reach(row, column)
        if extent.rows > MAX_ROWS or extent.columns > MAX_COLUMNS:
            check_extent(self.book, extent.sheet, extent.rows, extent.columns)

    def done(self) -> list[_Extent]:
        return self.extents


class _Doctype(Exception):
    """An XML part declares a DOCTYPE or an entity."""


def _no_dtd(*_args):
    raise _Doctype


def _parser(scan):
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _no_dtd
    parser.EntityDeclHandler = _no_dtd
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    return parser


class _Budget:
    """Bytes really inflated so far, against MAX_UNCOMPRESSED."""

    def __init__(self, name):
        self.name, self.used = name, 0

    def take(self, n: int) -> None:
        self.used += n
        if self.used > MAX_UNCOMPRESSED:
            raise _refuse_zip(self.name, f"nội dung giải nén quá lớn (tối đa {_vn(MAX_UNCOMPRESSED // 1024 // 1024)} MB).")


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget, name: str):
    """The member's bytes, CHUNK by CHUNK, as the deflate stream really gives them: the declared
    size is raised so that zipfile reads to the stream's end, then compared with what came."""
    honest = info.file_size
    probe = copy.copy(info)
    probe.file_size = MAX_UNCOMPRESSED + 1
    seen = 0
    with zf.open(probe) as stream:
        while chunk := stream.read(CHUNK):
            seen += len(chunk)
            budget.take(len(chunk))
            if seen >= RATIO_FLOOR and seen > MAX_RATIO * max(info.compress_size, 1):  # known early
                raise _refuse_zip(name, f"phần «{info.filename}» nén bất thường (tỷ lệ nén tối đa {MAX_RATIO}:1).")
            if seen > honest:
                break
            yield chunk
    if seen != honest:
        raise _refuse_zip(name, f"phần «{info.filename}» khai kích thước sai.")


def _sheet_names(zf: zipfile.ZipFile, members: set[str]) -> dict[str, str]:
    """XLSX: worksheet part → the sheet's name (from workbook.xml and its rels), best effort."""
    names, targets = {}, {}

    def grab(part, handler):
        if part in members and zf.getinfo(part).file_size <= 16 * 1024 * 1024:
            parser = expat.ParserCreate()
            parser.StartDoctypeDeclHandler = _no_dtd
            parser.EntityDeclHandler = _no_dtd
            parser.StartElementHandler = handler
            try:
                parser.Parse(zf.read(part), True)
            except (expat.ExpatError, _Doctype, zipfile.BadZipFile):
                pass  # the full scan below names what is wrong

    def rel(tag, attrs):
        if _local(tag) == "Relationship" and "Id" in attrs:
            target = attrs.get("Target", "").lstrip("/")
            targets[attrs["Id"]] = target if target.startswith("xl/") else "xl/" + target

    def sheet(tag, attrs):
        if _local(tag) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid in targets:
                names[targets[rid]] = attrs.get("name", targets[rid])

    grab("xl/_rels/workbook.xml.rels", rel)
    grab("xl/workbook.xml", sheet)
    return names


def check_zip(data: bytes, name: str) -> None:
    """XLSX/XLSM/ODS: every limit above, before the reader sees the file."""
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        # what cannot be measured is not given to a reader that might read it differently
        raise FileRefused(f"«{name}»: tệp bị hỏng hoặc không đầy đủ (không mở được phần nén: {e}). Hãy mở "
                          f"tệp bằng Excel, lưu lại rồi nhập lại. {NOTHING}") from e
    if len(infos) > MAX_MEMBERS:
        raise _refuse_zip(name, f"quá nhiều phần trong tệp ({_vn(len(infos))}; tối đa {_vn(MAX_MEMBERS)}).")
    if any(i.filename.lower().endswith(".bin") and i.filename.startswith("xl/") for i in infos):
        raise FileRefused(f"«{name}»: tệp Excel nhị phân (.xlsb) không được hỗ trợ. Hãy mở bằng Excel và lưu lại "
                          f"dạng «Excel Workbook (.xlsx)». {NOTHING}")
    sheet_names = _sheet_names(zf, {i.filename for i in infos})
    worksheets = [i for i in infos if re.fullmatch(r"xl/worksheets/[^/]+\.xml", i.filename)]
    check_sheet_count(name, max(len(worksheets), len(sheet_names)))
    budget = _Budget(name)
    for info in infos:
        _scan_member(zf, info, budget, name, sheet_names)


def _fast_pattern() -> re.Pattern:
    """Any tag a usual XLSX part does not have: a cell without an explicit reference ``<c r="A1"``
    within MAX_COLUMNS × MAX_ROWS, such a ``<dimension ref>``, a prefixed cell, a DOCTYPE."""
    assert (MAX_COLUMNS, MAX_ROWS) == (200, 200_000), "the pattern below spells these limits out"
    cell = rb'(?:[A-Z]|[A-F][A-Z]|G[A-R])0*(?:[0-9]{1,5}|1[0-9]{5}|200000)'  # A1 … GR200000
    return re.compile(rb'<c(?=[\s/>])(?! r="' + cell + rb'")|<dimension(?=[\s/>])(?! ref="(?:'
                      + cell + rb':)?' + cell + rb'")|<!|:(?:c|dimension)[\s/>]')


_UNUSUAL = _fast_pattern()


def _usual(chunks) -> bool:
    """True when an XLSX part is written the usual way and within the limits, checked at C speed
    (~0.3 s for a 100,000-row sheet, against ~3 s for expat); False: let the exact scan decide.
    The last ``_OVERLAP`` bytes of each piece are searched again with the next one, so a tag cut
    by a chunk boundary is seen whole."""
    tail, first = b"", True
    for chunk in chunks:
        if first and (b"\x00" in chunk[:4096] or chunk.startswith((b"\xfe\xff", b"\xff\xfe"))):
            return False  # UTF-16 (or stranger): the byte patterns below would not see its tags
        first = False
        piece = tail + chunk
        edge = max(len(piece) - _OVERLAP, 0)
        found = _UNUSUAL.search(piece)
        if found and found.start() < edge:  # one starting in the overlap is judged with the next piece
            return False
        tail = piece[edge:]
    return not _UNUSUAL.search(tail)


_OVERLAP = 128  # longer than any tag the pattern looks at


def _scan_member(zf, info, budget, name, sheet_names) -> None:
    """Inflate one member against the budget; if it is XML, find its extent (ODS content; an
    XLSX part: checked at C speed when usual, else scanned exactly by expat) and refuse it beyond the limits."""
    sheet = sheet_names.get(info.filename, info.filename.rsplit("/", 1)[-1])
    try:
        if not info.filename.lower().endswith((".xml", ".rels")):
            for _chunk in _inflate(zf, info, budget, name):
                pass
            return
        extents = None
        if info.filename != "content.xml":
            extents = [] if _usual(_inflate(zf, info, budget, name)) else None
            budget = _Budget(name)  # a second pass inflates the same bytes: counted once
        if extents is None:
            scan = (_OdsScan if info.filename == "content.xml" else _XlsxScan)(name, sheet)
            parser = _parser(scan)
            for chunk in _inflate(zf, info, budget, name):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
            extents = scan.done()
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as e:
        raise _refuse_zip(name, f"không giải nén được phần «{info.filename}» ({e}).") from e
    except _Doctype as e:
        raise _refuse_zip(name, f"phần «{info.filename}» khai báo DOCTYPE hay thực thể XML, điều tệp bảng tính "
                                "không bao giờ có.") from e
    except expat.ExpatError as e:
        raise _refuse_zip(name, f"phần «{info.filename}» không phải XML hợp lệ ({e}).") from e
    for extent in extents:
        check_extent(name, extent.sheet, extent.rows, extent.columns)
