"""Hostile spreadsheets for the hostile-files tests, built byte by byte (the red team's files)."""

from __future__ import annotations

import io
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ("<row r=\"1\">" + "".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'
    for col, text in zip("ABCDEFG", ["Họ và tên", "Giới tính", "Ngày sinh", "Đối tượng", "Số QĐ", "Ngày QĐ",
                                     "Mã xã"])) + "</row>")


def sheet_xml(body: str, dimension: str | None = None, doctype: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}<worksheet xmlns="{MAIN}">'
            f"{dim}<sheetData>{HEADER}{body}</sheetData></worksheet>")


def xlsx(sheets: list[str], extra: dict | None = None) -> bytes:
    """A minimal valid XLSX with these worksheet XMLs (calamine reads it)."""
    out = io.BytesIO()
    n = range(1, len(sheets) + 1)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/>' + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                                    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in n)
            + "</Types>"))
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                   + "".join(f'<sheet name="Trang {i}" sheetId="{i}" r:id="rId{i}"/>' for i in n)
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships">' + "".join(
                       f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in n) + "</Relationships>")
        for i, xml in zip(n, sheets):
            z.writestr(f"xl/worksheets/sheet{i}.xml", xml)
        for member, write in (extra or {}).items():
            with z.open(member, "w", force_zip64=True) as f:
                write(f)
    return out.getvalue()


def one_cell_at_xfd1048576() -> bytes:
    """The red team's 4.8 KB workbook: one cell at the last column of the last row."""
    return xlsx([sheet_xml('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')])


def one_cell_at_xfd1048576_in_utf16() -> bytes:
    """The same, its sheet in UTF-16: byte patterns looking for ``<c`` would not see it."""
    xml = sheet_xml('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')
    return xlsx([xml.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")])


def huge_dimension_few_cells() -> bytes:
    return xlsx([sheet_xml("", dimension="A1:XFD1048576")])


def rows_without_references() -> bytes:
    """A million empty rows with no ``r``: the last cell's row is only known by counting."""
    return xlsx([sheet_xml("<row/>" * 1_000_000 + '<row><c t="inlineStr"><is><t>x</t></is></c></row>')])


def ten_thousand_sheets() -> bytes:
    return xlsx([sheet_xml("")] * 10_000)


def billion_laughs() -> bytes:
    entities = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return xlsx([sheet_xml('<row r="2"><c r="A2" t="inlineStr"><is><t>&l9;</t></is></c></row>',
                           doctype=f"<!DOCTYPE worksheet [{entities}]>")])


def zip_bomb() -> bytes:
    """A 600 MB shared string in a file of ~600 KB (ratio ~1000:1)."""
    def giant(f):
        f.write(f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode())
        block = b"a" * (1024 * 1024)
        for _ in range(600):
            f.write(block)
        f.write(b"</t></si></sst>")
    return xlsx([sheet_xml('<row r="2"><c r="A2" t="s"><v>0</v></c></row>')], extra={"xl/sharedStrings.xml": giant})


def ods_repeated_rows() -> bytes:
    """ODS: a row with content repeated a million times (LibreOffice's own shorthand)."""
    out = io.BytesIO()
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'))
        z.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
            'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
            '<office:spreadsheet><table:table table:name="Trang 1"><table:table-row>'
            + cell.format("Họ và tên") + '</table:table-row><table:table-row table:number-rows-repeated="1048575">'
            '<table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
            "</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>"
            "</office:document-content>"))
    return out.getvalue()


HOSTILE = {
    "one-cell-at-XFD1048576.xlsx": one_cell_at_xfd1048576,
    "one-cell-at-XFD1048576-utf16.xlsx": one_cell_at_xfd1048576_in_utf16,
    "huge-dimension-few-cells.xlsx": huge_dimension_few_cells,
    "rows-without-references.xlsx": rows_without_references,
    "ten-thousand-sheets.xlsx": ten_thousand_sheets,
    "billion-laughs.xlsx": billion_laughs,
    "zip-bomb.xlsx": zip_bomb,
    "repeated-rows.ods": ods_repeated_rows,
}
