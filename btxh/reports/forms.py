"""The layouts of forms 10a–10d (TT 02/2021/TT-BLĐTBXH appendix; domain.md §8.1), as data.

Every printed row of a form is a ``Line``: its number (Số TT), its label, its unit, and the
*leaves* it adds up. A leaf is the smallest cell the figures are kept in:

* a **registry leaf** (``I.1.a`` …) is filled from the payroll's ledger lines by
  ``leaf_for`` (which row a ledger line belongs to: category, age band, level, poverty);
* an **input leaf** (``III.1``, ``10c.1`` …) is a figure staff enter for the period because
  the registry cannot know it (elderly clubs, facility residents, disaster damage): it is
  kept in ``report_inputs``.

A printed row is the sum of its leaves, so a heading (``I``, ``5``) and its "of which" rows
are the same arithmetic. Pure: no SQL, no Datasette. Decisions on rows the form does not
have (K5b, K7, HTXH, C3/C4) are in docs/decisions/010-reports.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PERSONS, MONEY = "người", "triệu đồng"

# Age bands of the person a ledger line is about (for CSND: the person cared for), by the
# age reached in the line's month (rules.md §6): 0 under 4, 1 from 4 to under 16,
# 2 from 16 to under 60, 3 from the 60th birthday (domain.md Q14).
UNDER_4, UNDER_16, UNDER_60, ELDERLY = 0, 1, 2, 3


@dataclass(frozen=True)
class Line:
    stt: str
    label: str
    leaves: tuple[str, ...] = ()
    unit: str = PERSONS
    level: int = 0            # indentation: 0 section, 1 row, 2 sub-row, 3 "of which"
    measure: str = "persons"  # "persons" or "money" (10c/10d expenditure rows)

    @property
    def is_heading_only(self) -> bool:
        return not self.leaves


@dataclass(frozen=True)
class Form:
    code: str
    title: str
    subtitle: str
    columns: tuple[str, ...]
    lines: tuple[Line, ...]
    inputs: tuple[str, ...] = field(default=())  # input leaves, in entry order

    @property
    def registry_leaves(self) -> frozenset[str]:
        return frozenset(l for line in self.lines for l in line.leaves if l not in self.inputs)


# Leaves that count only people with HIV (K3, K8; III.3 in facilities): for readers who may
# not know HIV status, btxh.reports.protect hides them as small cells (ADR 010 §3)
HIV_LEAVES = frozenset({"I.3.1", "I.3.2", "I.3.3", "III.3.1", "III.3.2"})


def leaf_for(program: str, category: str, level: str | None, band: int, poor: bool) -> str:
    """The 10a leaf of a ledger line (pure; docs/decisions/010-reports.md §2).

    ``category`` is the first code of the line's basis (``K4+K6`` → ``K4``: the single-parent
    exception is reported with the single parent), ``level`` the K6 disability level,
    ``band`` the age band of the person concerned, ``poor`` whether a K5c person's household
    was poor that month.
    """
    if program == "MAITANG":
        return "IV"
    if program == "HTXH":
        return "V"
    if program == "CSND":
        if category == "C1":
            return "II.1.a"
        if category == "C2":
            return "II.3" if band == ELDERLY else "II.1.b"
        if category in ("C5", "C6", "C7"):
            return "II.2." + "abcc"[band]
        return "II.4"  # C3/C4 and any local care code
    if category == "K1":
        return "I.1.a" if band == UNDER_4 else "I.1.b"
    if category == "K2":
        return "I.2"
    if category in ("K3", "K8"):
        return ("I.3.1", "I.3.2", "I.3.3", "I.3.3")[band] if category == "K8" else \
            ("I.3.1", "I.3.2", "I.3.2", "I.3.2")[band]
    if category == "K4":
        return "I.4"
    if category == "K5a":
        return "I.5.1"
    if category == "K5c":
        return "I.5.2.n" if poor else "I.5.2.k"
    if category == "K5d":
        return "I.5.3"
    if category == "K6":
        return ("I.6.1." if level == "DBN" else "I.6.2.") + "aabc"[band]
    if category == "K5b":
        return "I.7.1"
    if category == "K7":
        return "I.7.2"
    return "I.7.3"  # a local category added by a province policy


def _bands(prefix: str, stt: str, label: str, level: int = 1) -> list[Line]:
    return [Line(stt, label, (prefix + "a", prefix + "b", prefix + "c"), level=level),
            Line("a)", "Dưới 16 tuổi", (prefix + "a",), level=level + 1),
            Line("b)", "Từ 16 đến 60 tuổi", (prefix + "b",), level=level + 1),
            Line("c)", "Từ đủ 60 tuổi trở lên", (prefix + "c",), level=level + 1)]


_I = ("I.1.a", "I.1.b", "I.2", "I.3.1", "I.3.2", "I.3.3", "I.4", "I.5.1", "I.5.2.n", "I.5.2.k",
      "I.5.3", "I.6.1.a", "I.6.1.b", "I.6.1.c", "I.6.2.a", "I.6.2.b", "I.6.2.c", "I.7.1", "I.7.2", "I.7.3")
_II = ("II.1.a", "II.1.b", "II.2.a", "II.2.b", "II.2.c", "II.3", "II.4")
_III = ("III.1", "III.2", "III.3.1", "III.3.2", "III.4", "III.5.a", "III.5.b", "III.5.c", "III.6")

FORM_10A = Form(
    "10a", "SỐ LIỆU KẾT QUẢ THỰC HIỆN TRỢ GIÚP XÃ HỘI THƯỜNG XUYÊN", "Mẫu số 10a",
    ("Số TT", "Chỉ tiêu", "Tổng số (Người)", "Nam (Người)", "Nữ (Người)", "Kinh phí (triệu đồng)"),
    (
        Line("I", "Trợ cấp xã hội hằng tháng", _I),
        Line("1", "Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng", ("I.1.a", "I.1.b"), level=1),
        Line("", "Trong đó: dưới 4 tuổi", ("I.1.a",), level=3),
        Line("2", "Người từ 16 tuổi đến 22 tuổi đang học (đã hưởng trợ cấp khi dưới 16 tuổi)", ("I.2",), level=1),
        Line("3", "Người bị nhiễm HIV thuộc hộ nghèo", ("I.3.1", "I.3.2", "I.3.3"), level=1),
        Line("3.1", "Dưới 4 tuổi", ("I.3.1",), level=2),
        Line("3.2", "Từ 4 tuổi đến dưới 16 tuổi", ("I.3.2",), level=2),
        Line("3.3", "Từ 16 tuổi trở lên", ("I.3.3",), level=2),
        Line("4", "Người đơn thân nghèo đang nuôi con", ("I.4",), level=1),
        Line("5", "Người cao tuổi", ("I.5.1", "I.5.2.n", "I.5.2.k", "I.5.3"), level=1),
        Line("5.1", "Người cao tuổi thuộc hộ nghèo không có người có nghĩa vụ và quyền phụng dưỡng",
             ("I.5.1",), level=2),
        Line("5.2", "Người từ đủ 80 tuổi trở lên không có lương hưu, trợ cấp bảo hiểm xã hội hằng tháng",
             ("I.5.2.n", "I.5.2.k"), level=2),
        Line("", "Trong đó: thuộc hộ nghèo", ("I.5.2.n",), level=3),
        Line("5.3", "Người cao tuổi có người nhận chăm sóc tại cộng đồng", ("I.5.3",), level=2),
        Line("6", "Người khuyết tật", _I[11:17], level=1),
        *_bands("I.6.1.", "6.1", "Người khuyết tật đặc biệt nặng", level=2),
        *_bands("I.6.2.", "6.2", "Người khuyết tật nặng", level=2),
        Line("7", "Đối tượng khác theo Nghị định 20/2021/NĐ-CP (mẫu chưa có dòng riêng)",
             ("I.7.1", "I.7.2", "I.7.3"), level=1),
        Line("7.1", "Người từ đủ 75 đến 80 tuổi ở vùng dân tộc thiểu số và miền núi đặc biệt khó khăn",
             ("I.7.1",), level=2),
        Line("7.2", "Trẻ em dưới 3 tuổi ở vùng dân tộc thiểu số và miền núi đặc biệt khó khăn",
             ("I.7.2",), level=2),
        Line("7.3", "Diện do địa phương quy định thêm", ("I.7.3",), level=2),
        Line("II", "Nhận nuôi dưỡng, chăm sóc tại cộng đồng", _II),
        Line("1", "Trẻ em dưới 16 tuổi", ("II.1.a", "II.1.b"), level=1),
        Line("", "Trong đó: dưới 4 tuổi", ("II.1.a",), level=3),
        *_bands("II.2.", "2", "Người khuyết tật đặc biệt nặng"),
        Line("3", "Người cao tuổi có người nhận chăm sóc", ("II.3",), level=1),
        Line("4", "Người khuyết tật mang thai hoặc nuôi con dưới 36 tháng tuổi (mẫu chưa có dòng riêng)",
             ("II.4",), level=1),
        Line("III", "Nuôi dưỡng trong cơ sở trợ giúp xã hội, nhà xã hội", _III),
        Line("1", "Trẻ em", ("III.1",), level=1),
        Line("2", "Người từ 16 đến 22 tuổi đang học", ("III.2",), level=1),
        Line("3", "Người nhiễm HIV thuộc hộ nghèo", ("III.3.1", "III.3.2"), level=1),
        Line("3.1", "Dưới 16 tuổi", ("III.3.1",), level=2),
        Line("3.2", "Từ 16 tuổi trở lên", ("III.3.2",), level=2),
        Line("4", "Người cao tuổi", ("III.4",), level=1),
        *_bands("III.5.", "5", "Người khuyết tật đặc biệt nặng"),
        Line("6", "Đối tượng cần bảo vệ khẩn cấp", ("III.6",), level=1),
        Line("IV", "Hỗ trợ chi phí mai táng", ("IV",)),
        Line("V", "Trợ cấp hưu trí xã hội (Luật Bảo hiểm xã hội 2024; mẫu chưa có dòng riêng)", ("V",)),
        Line("", "TỔNG CỘNG", _I + _II + _III + ("IV", "V")),
    ),
    inputs=_III,
)


def _c(n: str, label: str, unit: str = PERSONS, level: int = 1) -> Line:
    return Line(n, label, (f"10c.{n}",), unit, level)


def _d(n: str, label: str, unit: str = PERSONS, level: int = 1) -> Line:
    return Line(n, label, (f"10d.{n}",), unit, level)


def _b(n: str, label: str, unit: str, level: int = 1) -> Line:
    return Line(n, label, (f"10b.{n}",), unit, level)


FORM_10B = Form(
    "10b", "SỐ LIỆU THỰC HIỆN TRỢ GIÚP XÃ HỘI ĐỘT XUẤT", "Mẫu số 10b",
    ("Số TT", "Chỉ tiêu", "Đơn vị tính", "Số lượng"),
    (
        Line("1", "Tình hình thiệt hại", level=0),
        _b("1.1", "Hộ thiếu đói", "lượt hộ"), _b("1.2", "Người thiếu đói", "lượt người"),
        _b("1.3", "Người chết", "người"), _b("1.4", "Người mất tích", "người"),
        _b("1.5", "Người bị thương", "người"),
        _b("1.6", "Hộ có nhà bị đổ, sập, trôi, cháy", "hộ"), _b("1.7", "Hộ có nhà bị hư hỏng nặng", "hộ"),
        _b("1.8", "Hộ phải di dời khẩn cấp", "hộ"),
        Line("2", "Kết quả hỗ trợ", level=0),
        _b("2.1", "Hộ được hỗ trợ lương thực", "lượt hộ"), _b("2.2", "Người được hỗ trợ lương thực", "lượt người"),
        _b("2.3", "Người chết được hỗ trợ chi phí mai táng", "người"),
        _b("2.4", "Người mất tích được hỗ trợ", "người"), _b("2.5", "Người bị thương được hỗ trợ", "người"),
        _b("2.6", "Hộ được hỗ trợ làm nhà ở", "nhà"), _b("2.7", "Hộ được hỗ trợ sửa chữa nhà ở", "nhà"),
        _b("2.8", "Hộ được hỗ trợ di dời", "hộ"),
        Line("3", "Nguồn lực", level=0),
        Line("3.1", "Gạo", ("10b.3.1.a", "10b.3.1.b", "10b.3.1.c"), "tấn", 1),
        _b("3.1.a", "Ngân sách trung ương", "tấn", 2), _b("3.1.b", "Địa phương", "tấn", 2),
        _b("3.1.c", "Huy động", "tấn", 2),
        Line("3.2", "Tổng kinh phí", ("10b.3.2.a", "10b.3.2.b", "10b.3.2.c"), "tỷ đồng", 1),
        _b("3.2.a", "Ngân sách trung ương", "tỷ đồng", 2), _b("3.2.b", "Ngân sách địa phương", "tỷ đồng", 2),
        _b("3.2.c", "Huy động (kể cả hiện vật quy đổi)", "tỷ đồng", 2),
    ),
)
FORM_10B = Form(FORM_10B.code, FORM_10B.title, FORM_10B.subtitle, FORM_10B.columns, FORM_10B.lines,
                inputs=tuple(l for line in FORM_10B.lines for l in line.leaves
                             if line.leaves == (l,)))

_K5_ON_TCXH = ("I.5.1", "I.5.2.n", "I.5.2.k", "I.6.1.c", "I.6.2.c", "I.5.3", "I.7.1")
FORM_10C = Form(
    "10c", "SỐ LIỆU KẾT QUẢ THỰC HIỆN CHÍNH SÁCH ĐỐI VỚI NGƯỜI CAO TUỔI", "Mẫu số 10c",
    ("Số TT", "Chỉ tiêu", "Đơn vị tính", "Tổng số", "Nam", "Nữ"),
    (
        _c("1", "Tổng số người cao tuổi"),
        _c("2", "Người cao tuổi thuộc hộ nghèo"),
        _c("3", "Người cao tuổi không có người có nghĩa vụ và quyền phụng dưỡng"),
        _c("4", "Người cao tuổi là người khuyết tật"),
        _c("5", "Người cao tuổi hưởng lương hưu, trợ cấp bảo hiểm xã hội hằng tháng"),
        _c("6", "Người cao tuổi hưởng trợ cấp người có công với cách mạng"),
        Line("7", "Người cao tuổi hưởng trợ cấp xã hội hằng tháng", _K5_ON_TCXH, level=1),
        Line("7.1", "Người cao tuổi thuộc hộ nghèo không có người phụng dưỡng", ("I.5.1",), level=2),
        Line("7.2", "Người từ đủ 80 tuổi không có lương hưu, trợ cấp BHXH", ("I.5.2.n", "I.5.2.k"), level=2),
        Line("", "Trong đó: thuộc hộ nghèo", ("I.5.2.n",), level=3),
        Line("7.3", "Người cao tuổi khuyết tật nặng, đặc biệt nặng", ("I.6.1.c", "I.6.2.c"), level=2),
        Line("7.4", "Người cao tuổi khác hưởng trợ cấp xã hội", ("I.5.3", "I.7.1"), level=2),
        Line("8", "Người cao tuổi hưởng trợ cấp hưu trí xã hội", ("V",), level=1),
        Line("9", "Người cao tuổi được nhận chăm sóc tại cộng đồng", ("II.3",), level=1),
        _c("10", "Người cao tuổi được nuôi dưỡng trong cơ sở trợ giúp xã hội"),
        _c("11", "Người cao tuổi được cấp thẻ bảo hiểm y tế"),
        _c("12", "Người cao tuổi được lập hồ sơ theo dõi sức khoẻ"),
        _c("13", "Người cao tuổi được hỗ trợ nhà ở"),
        _c("14", "Người cao tuổi được giảm giá vé, giá dịch vụ"),
        Line("15", "Người cao tuổi được chúc thọ, mừng thọ", tuple(f"10c.15.{a}" for a in
             ("70", "75", "80", "85", "90", "95", "100", "tren100")), level=1),
        *[_c(f"15.{a}", f"Tuổi {a}", level=2) for a in ("70", "75", "80", "85", "90", "95", "100")],
        _c("15.tren100", "Trên 100 tuổi", level=2),
        _c("16", "Hội người cao tuổi, câu lạc bộ người cao tuổi", "hội, câu lạc bộ"),
        _c("17", "Cơ sở chăm sóc người cao tuổi", "cơ sở"),
        _c("18", "Khoa lão khoa tại bệnh viện", "khoa"),
        _c("19", "Quỹ chăm sóc và phát huy vai trò người cao tuổi", "quỹ"),
        _c("20", "Cán bộ được tập huấn về công tác người cao tuổi", "người"),
        Line("21", "Kinh phí trợ cấp xã hội, hưu trí xã hội cho người cao tuổi đã chi",
             _K5_ON_TCXH + ("V", "II.3"), MONEY, 1, "money"),
    ),
)
FORM_10C = Form(FORM_10C.code, FORM_10C.title, FORM_10C.subtitle, FORM_10C.columns, FORM_10C.lines,
                inputs=tuple(l for line in FORM_10C.lines for l in line.leaves if l.startswith("10c.")
                             and line.leaves == (l,)))

_K6 = ("I.6.1.a", "I.6.1.b", "I.6.1.c", "I.6.2.a", "I.6.2.b", "I.6.2.c")
FORM_10D = Form(
    "10d", "SỐ LIỆU KẾT QUẢ THỰC HIỆN CHÍNH SÁCH ĐỐI VỚI NGƯỜI KHUYẾT TẬT", "Mẫu số 10d",
    ("Số TT", "Chỉ tiêu", "Đơn vị tính", "Tổng số", "Nam", "Nữ"),
    (
        Line("1", "Tổng số người khuyết tật theo dạng tật", tuple(f"10d.1.{i}" for i in range(1, 7)), level=1),
        *[_d(f"1.{i}", t, level=2) for i, t in enumerate(
            ("Khuyết tật vận động", "Khuyết tật nghe, nói", "Khuyết tật nhìn", "Khuyết tật thần kinh, tâm thần",
             "Khuyết tật trí tuệ", "Khuyết tật khác"), start=1)],
        Line("2", "Tổng số người khuyết tật theo mức độ", ("10d.2.1", "10d.2.2", "10d.2.3"), level=1),
        _d("2.1", "Đặc biệt nặng", level=2), _d("2.2", "Nặng", level=2), _d("2.3", "Nhẹ", level=2),
        _d("3", "Người khuyết tật thuộc hộ nghèo"),
        _d("4", "Người khuyết tật là người cao tuổi"),
        _d("5", "Người khuyết tật hưởng lương hưu, trợ cấp bảo hiểm xã hội hằng tháng"),
        _d("6", "Người khuyết tật hưởng trợ cấp người có công với cách mạng"),
        Line("7", "Người khuyết tật hưởng trợ cấp xã hội hằng tháng", _K6, level=1),
        *_bands("I.6.1.", "7.1", "Khuyết tật đặc biệt nặng", level=2),
        *_bands("I.6.2.", "7.2", "Khuyết tật nặng", level=2),
        Line("8", "Người khuyết tật đặc biệt nặng được nhận chăm sóc tại cộng đồng",
             ("II.2.a", "II.2.b", "II.2.c"), level=1),
        _d("9", "Người khuyết tật được nuôi dưỡng trong cơ sở trợ giúp xã hội"),
        _d("10", "Người khuyết tật được cấp thẻ bảo hiểm y tế"),
        _d("11", "Người khuyết tật được trợ giúp dụng cụ chỉnh hình, phục hồi chức năng"),
        Line("12", "Kinh phí trợ cấp xã hội, hỗ trợ chăm sóc cho người khuyết tật đã chi",
             _K6 + ("II.2.a", "II.2.b", "II.2.c", "II.4"), MONEY, 1, "money"),
    ),
)
FORM_10D = Form(FORM_10D.code, FORM_10D.title, FORM_10D.subtitle, FORM_10D.columns, FORM_10D.lines,
                inputs=tuple(l for line in FORM_10D.lines for l in line.leaves if l.startswith("10d.")
                             and line.leaves == (l,)))

FORMS = {f.code: f for f in (FORM_10A, FORM_10B, FORM_10C, FORM_10D)}

# Input leaves: label for the entry page, which form asks for them, and whether they carry
# a sex split and an amount (10a section III has a cost column; 10b has a single quantity).
INPUT_LABELS = {leaf: (form.code, line) for form in FORMS.values() for line in form.lines
                for leaf in line.leaves if leaf in form.inputs and line.leaves == (leaf,)}


def store_layouts(db) -> None:
    """(Re)write report_lines and report_line_leaves from the forms above."""
    db.execute("DELETE FROM report_line_leaves")
    db.execute("DELETE FROM report_lines")
    for form in FORMS.values():
        for ord_, line in enumerate(form.lines, start=1):
            db.execute("INSERT INTO report_lines VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [form.code, ord_, line.stt, line.label, line.unit, line.level, line.measure])
            for leaf in line.leaves:
                db.execute("INSERT INTO report_line_leaves VALUES (?, ?, ?, ?)",
                           [form.code, ord_, leaf, int(leaf in form.inputs)])
