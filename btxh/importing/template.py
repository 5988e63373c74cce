"""The sample beneficiary list staff download from the upload page (XLSX, openpyxl)."""

from __future__ import annotations

import io

import openpyxl
from openpyxl.styles import Font

HEADER = ["STT", "Họ và tên", "Giới tính", "Ngày sinh", "CMND/CCCD", "Thôn/Xóm/Tổ dân phố", "Đối tượng",
          "Mức độ khuyết tật", "Mức hưởng", "Số QĐ", "Ngày QĐ", "Hưởng từ tháng"]
EXAMPLE = [1, "Nguyễn Văn An", "Nam", "05/03/1950", "001050012345", "Thôn Đông", "K5a", "", 750000,
           "12/QĐ-UBND", "15/08/2025", "08/2025"]
NOTES = [
    "Mỗi dòng là một người trong một diện hưởng; người hưởng hai diện ghi hai dòng.",
    "Ngày sinh: ngày/tháng/năm, tháng/năm hoặc chỉ năm. Ngày QĐ: đủ ngày/tháng/năm.",
    "Đối tượng: mã diện (K1, K2, K3, K4, K5a, K5b, K5c, K5d, K6, K7, K8) hoặc tên diện đầy đủ.",
    "Mức độ khuyết tật (chỉ diện K6): Đặc biệt nặng hoặc Nặng.",
    "CMND/CCCD: định dạng cột là Văn bản (Text) để Excel không bỏ số 0 ở đầu.",
    "Tệp phải lưu bằng Unicode (không dùng phông .VnTime/VNI-Times).",
]


def sample_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws.append(HEADER)
    ws.append(EXAMPLE)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in range(2, 1001):
        ws.cell(row=row, column=5).number_format = "@"
    for col, width in zip("ABCDEFGHIJKL", (5, 24, 9, 12, 15, 20, 12, 14, 12, 14, 12, 12)):
        ws.column_dimensions[col].width = width
    notes = wb.create_sheet("Hướng dẫn")
    for line in NOTES:
        notes.append([line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
