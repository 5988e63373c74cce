"""Deterministic synthetic registry data for `btxh demo` and the benchmarks.

``generate(db, scale=...)`` fills an empty registry (villages, area flags, households,
poverty periods, persons, memberships, K4 children, care support, social pensions,
decisions) for real 2025 communes already loaded as reference data. Everything is
illustrative: no row describes a real person, and the area flags say so in their
``legal_basis``.

The model, with the rough sources of its proportions
----------------------------------------------------
* Size. About 3.3–3.5 million people receive the monthly social allowance (TCXH)
  nationally (MOLISA reports 2022–2024, domain knowledge), so ``national`` makes
  ≈ 3.5 million beneficiaries over the 3,321 communes, 400–1,800 each; ``province``
  ≈ 20,000 over one province; ``commune`` ≈ 300 in one commune.
* Mix (share of beneficiaries, see ``MIX``): the elderly (K5a–K5d) ≈ 55 %, K5c
  (80+ without pension) the largest group; people with disabilities (K6) ≈ 33 %, a
  quarter of them "đặc biệt nặng" (DBN); children without care (K1, later K2) ≈ 3 %;
  poor single parents (K4) ≈ 4 %; young children of extremely difficult areas (K7)
  ≈ 1 %; HIV (K3, K8) ≈ 1 %; and ≈ 4.5 % people 75+ who only draw the 2025 social
  pension (HTXH). K5b and K7 exist only in flagged (ĐBKK) areas; elsewhere those
  slots become K5c and K6. Some people hold two memberships (K4+K6, K6+K8, K5a+K6).
* Time. ``today`` defaults to 2026-11-01. A third of the memberships start in the
  last 24 months, the rest in 2019–2024 (K5b, K7, K8 only from 2021-07-01, when Decree
  20 created them). Decisions signed before 2025-07-01 are district decisions
  (``huyen``, with the old commune and district codes when the reference data has
  them); later ones are commune decisions (``xa``, Decree 147/2025).
* Ages always fit the category at ``valid_from`` (computed on the birth date the
  engine uses: a year-only date counts from 1 January, a month-only one from the 1st,
  rules.md §3). An upper bound ends the membership on the last day of the month of
  that birthday (rules.md §6 pays that month). K1 children may continue as K2 while
  studying, K3 children as K8.
* Life events over the last two years: deaths (≈ 12 % of the 80+, fewer below),
  age-outs, loss of eligibility (household left poverty), suspensions (some resumed),
  moves between communes of one province (one continuing membership: a ``stop`` by
  the old commune and a ``move`` by the new one) and a few moves out of the province.
* Identity: Vietnamese names with Kinh surname frequencies (Nguyễn ≈ 38 %, Trần, Lê,
  Phạm, Hoàng/Huỳnh, Phan, Vũ/Võ, …) and group-specific names for ethnic minorities,
  chosen by province; 12-digit CCCD numbers built like real ones (birth province on
  the old 63-province table, century/sex digit, year of birth, six random digits),
  unique; about 10 % of the elderly have no CCCD, a few only a 9-digit CMND.

Every person row is a beneficiary, a child counted by a K4 membership, or a carer.

Conventions the other modules can rely on: ``memberships.commune_code`` is the person's
(current) commune; a decision's ``commune_code`` is the commune whose authority signed it
(the old commune for decisions before a move); ``start_month`` is the first month paid and
``stop_month`` the first month not paid, for ``stop`` and ``suspend`` alike; ``resume``
carries the first month paid again; HTXH and CSND decisions use ``program`` and leave
``membership_id`` empty (HTXH) or point at the cared person's membership (CSND).

Determinism and speed. Randomness comes from ``random.Random`` seeded per commune, so the
same seed gives the same database, and one commune's data does not depend on which other
communes exist. Communes are generated in chunks (in forked worker processes at national
scale) with local ids; one writer numbers ids, decisions and clashing CCCD serials in plan
order, so the result does not depend on the number of processes. The national scale drops
the non-unique indexes of the registry tables during the load and rebuilds them at the end.
Measured on 2 cores: commune 0.1 s, province ≈ 2 s, national ≈ 4 min for a 3.5 GB file.
"""

from __future__ import annotations

import bisect
import marshal
import multiprocessing
import os
import random
import unicodedata
from datetime import date, timedelta
from typing import Callable

import sqlite_utils
from vn_ident.tables import CARRIERS, PROVINCES as CCCD_PROVINCES

# ---------------------------------------------------------------------------
# Scales and proportions
# ---------------------------------------------------------------------------

#: Target number of beneficiaries per scale.
SCALES = {"commune": 300, "province": 20_000, "national": 3_500_000}
NATIONAL_COMMUNES = 3321
NATIONAL_MIN, NATIONAL_MAX, NATIONAL_MODE = 400, 1800, 950
DEFAULT_PROVINCE = "08"  # Tuyên Quang: mid-size, mountainous, every category occurs
#: Person rows per beneficiary (K4 children and carers added), measured on seed 1.
PERSONS_PER_BENEFICIARY = 1.17

#: Share of beneficiaries (per mille) by category; "HTXH" = social pension only.
MIX = (
    ("K5c", 310), ("K5a", 120), ("K5b", 70), ("K5d", 40), ("K6", 330), ("K1", 25),
    ("K4", 40), ("K7", 10), ("K3", 2), ("K8", 8), ("HTXH", 45),
)
ELDERLY = ("K5a", "K5b", "K5c", "K5d")
POOR_ONLY = ("K3", "K5a", "K5d", "K8")          # hộ nghèo required
POOR_OR_NEAR = ("K4", "K5b", "K7")              # hộ nghèo or cận nghèo
K1_SUBCASES = (("a", 10), ("b", 35), ("c", 5), ("d", 5), ("đ", 25), ("e", 2), ("g", 2),
               ("h", 8), ("i", 2), ("k", 3), ("l", 3))

HISTORY_FROM = date(2019, 1, 1)
ND20_FROM = date(2021, 7, 1)
COMMUNE_LEVEL_FROM = date(2025, 7, 1)  # Decree 147/2025: the commune chairman decides
HTXH_FROM = date(2025, 7, 1)
DEMO_BASIS = "Dữ liệu minh hoạ (demo) — không phải danh sách chính thức"
POVERTY_BASIS = "Rà soát hộ nghèo, hộ cận nghèo cuối năm {} (minh hoạ)"
CREATED_BY = "demo"

# ---------------------------------------------------------------------------
# Regions, ethnic groups, names (Vietnamese data, NFC)
# ---------------------------------------------------------------------------

REGION = {
    **dict.fromkeys(("11", "12", "14", "15"), "nw"),
    **dict.fromkeys(("04", "08", "19", "20"), "ne"),
    **dict.fromkeys(("01", "22", "24", "25", "31", "33", "37"), "delta"),
    **dict.fromkeys(("38", "40", "42", "44", "46", "48", "51", "56"), "central"),
    **dict.fromkeys(("52", "66", "68"), "highlands"),
    **dict.fromkeys(("75", "79", "80", "82", "86", "91", "92", "96"), "south"),
}
#: Probability that a rural commune is ĐBKK (or has ĐBKK villages), by region.
DBKK_SHARE = {"nw": 0.45, "ne": 0.35, "highlands": 0.25, "central": 0.06, "south": 0.03, "delta": 0.01}

#: Ethnic composition by 2025 province (percent, rounded; census 2019 of the merged provinces).
ETHNIC_MIX = {
    "01": (("Kinh", 98), ("Mường", 1), ("Tày", 1)),
    "04": (("Tày", 40), ("Nùng", 30), ("H'Mông", 11), ("Dao", 10), ("Kinh", 7), ("Sán Chay", 2)),
    "08": (("Kinh", 28), ("Tày", 25), ("H'Mông", 22), ("Dao", 11), ("Nùng", 6), ("Sán Chay", 4),
           ("Giáy", 2), ("Lô Lô", 1), ("Pà Thẻn", 1)),
    "11": (("Thái", 37), ("H'Mông", 36), ("Kinh", 18), ("Khơ Mú", 3), ("Dao", 2), ("Hà Nhì", 2), ("Lào", 2)),
    "12": (("H'Mông", 35), ("Thái", 32), ("Dao", 13), ("Kinh", 13), ("Hà Nhì", 4), ("Giáy", 3)),
    "14": (("Thái", 53), ("Kinh", 17), ("H'Mông", 15), ("Mường", 8), ("Dao", 3), ("Khơ Mú", 2), ("Xinh Mun", 2)),
    "15": (("Kinh", 45), ("H'Mông", 18), ("Tày", 12), ("Dao", 12), ("Thái", 5), ("Giáy", 3), ("Nùng", 3),
           ("Hà Nhì", 1), ("Mường", 1)),
    "19": (("Kinh", 68), ("Tày", 17), ("Nùng", 6), ("Dao", 4), ("Sán Dìu", 2), ("Sán Chay", 2), ("H'Mông", 1)),
    "20": (("Nùng", 42), ("Tày", 35), ("Kinh", 16), ("Dao", 4), ("Sán Chay", 1), ("H'Mông", 1), ("Hoa", 1)),
    "22": (("Kinh", 88), ("Dao", 4), ("Tày", 3), ("Sán Dìu", 2), ("Sán Chay", 2), ("Hoa", 1)),
    "24": (("Kinh", 90), ("Nùng", 4), ("Tày", 3), ("Sán Dìu", 1), ("Sán Chay", 1), ("Hoa", 1)),
    "25": (("Kinh", 78), ("Mường", 19), ("Dao", 1), ("Tày", 1), ("Thái", 1)),
    "37": (("Kinh", 97), ("Mường", 3)),
    "38": (("Kinh", 83), ("Mường", 9), ("Thái", 6), ("H'Mông", 1), ("Dao", 1)),
    "40": (("Kinh", 86), ("Thái", 10), ("Khơ Mú", 2), ("H'Mông", 2)),
    "44": (("Kinh", 97), ("Bru-Vân Kiều", 2), ("Tà Ôi", 1)),
    "46": (("Kinh", 98), ("Tà Ôi", 1), ("Cơ Tu", 1)),
    "48": (("Kinh", 96), ("Cơ Tu", 3), ("Xơ Đăng", 1)),
    "51": (("Kinh", 78), ("Hrê", 8), ("Xơ Đăng", 8), ("Ba Na", 4), ("Cơ Tu", 2)),
    "52": (("Kinh", 72), ("Gia Rai", 17), ("Ba Na", 9), ("Hrê", 2)),
    "56": (("Kinh", 92), ("Chăm", 4), ("Raglay", 4)),
    "66": (("Kinh", 74), ("Ê Đê", 15), ("Nùng", 3), ("Tày", 3), ("H'Mông", 2), ("Gia Rai", 1), ("Ba Na", 1),
           ("Dao", 1)),
    "68": (("Kinh", 85), ("Cơ Ho", 6), ("Mạ", 2), ("Chăm", 2), ("Nùng", 2), ("M'Nông", 2), ("Chu Ru", 1)),
    "75": (("Kinh", 92), ("Hoa", 3), ("Xtiêng", 2), ("Nùng", 1), ("Tày", 1), ("Chơ Ro", 1)),
    "79": (("Kinh", 93), ("Hoa", 5), ("Khmer", 1), ("Chăm", 1)),
    "80": (("Kinh", 98), ("Khmer", 1), ("Hoa", 1)),
    "86": (("Kinh", 86), ("Khmer", 13), ("Hoa", 1)),
    "91": (("Kinh", 87), ("Khmer", 10), ("Hoa", 2), ("Chăm", 1)),
    "92": (("Kinh", 76), ("Khmer", 19), ("Hoa", 5)),
    "96": (("Kinh", 93), ("Khmer", 5), ("Hoa", 2)),
}

#: Kinh surnames (percent of the population; Hoàng/Huỳnh and Vũ/Võ follow the region).
KINH_SURNAMES = (
    ("Nguyễn", 384), ("Trần", 110), ("Lê", 95), ("Phạm", 71), ("Hoàng", 51), ("Phan", 45), ("Vũ", 39),
    ("Đặng", 21), ("Bùi", 20), ("Đỗ", 14), ("Hồ", 13), ("Ngô", 13), ("Dương", 10), ("Lý", 5),
    ("Đào", 8), ("Đoàn", 7), ("Trương", 7), ("Trịnh", 6), ("Đinh", 6), ("Hà", 6), ("Lâm", 5),
    ("Mai", 5), ("Lương", 5), ("Cao", 5), ("Lưu", 4), ("Phùng", 4), ("Tạ", 3), ("Tô", 3), ("Châu", 3),
    ("Chu", 3), ("Vương", 3), ("Quách", 2), ("Lại", 2), ("Kiều", 2), ("Thái", 2), ("Tăng", 2),
    ("Nghiêm", 1), ("Từ", 1), ("Văn", 1),
)
GROUP_SURNAMES = {
    "Tày": (("Hoàng", 20), ("Nông", 20), ("Lương", 10), ("Ma", 8), ("Bế", 6), ("Lục", 6), ("Hà", 6),
            ("Lộc", 5), ("Đàm", 5), ("Nguyễn", 5), ("Triệu", 4), ("Mông", 3), ("Hứa", 2)),
    "Nùng": (("Hoàng", 20), ("Nông", 15), ("Lương", 10), ("Vi", 8), ("Lý", 8), ("Chu", 6), ("Lăng", 6),
             ("Mã", 6), ("Vy", 6), ("Hà", 5), ("Triệu", 5), ("Lục", 5)),
    "Thái": (("Lò", 20), ("Lường", 15), ("Cầm", 10), ("Quàng", 10), ("Hà", 10), ("Vi", 8), ("Tòng", 8),
             ("Lê", 5), ("Điêu", 5), ("Mè", 3), ("Sầm", 3), ("Lộc", 3)),
    "H'Mông": (("Giàng", 18), ("Vàng", 15), ("Sùng", 12), ("Thào", 12), ("Lý", 10), ("Mùa", 8), ("Hờ", 6),
               ("Lầu", 6), ("Cứ", 5), ("Hạng", 4), ("Vừ", 4)),
    "Dao": (("Triệu", 30), ("Bàn", 25), ("Lý", 15), ("Đặng", 15), ("Phùng", 5), ("Chảo", 5), ("Tẩn", 5)),
    "Mường": (("Bùi", 40), ("Đinh", 20), ("Quách", 15), ("Hà", 10), ("Xa", 5), ("Bạch", 5), ("Phạm", 5)),
    "Khmer": (("Thạch", 25), ("Danh", 15), ("Sơn", 15), ("Kim", 12), ("Lâm", 8), ("Trần", 5), ("Lý", 5),
              ("Dương", 5), ("Châu", 5), ("Huỳnh", 5)),
    "Hoa": (("Lâm", 15), ("Lý", 12), ("Trần", 10), ("Châu", 10), ("Trương", 10), ("Quách", 8), ("Lưu", 8),
            ("Mã", 6), ("Tăng", 6), ("Hứa", 5), ("Diệp", 5), ("Vương", 5)),
    "Ê Đê": (("Niê", 30), ("Êban", 15), ("Mlô", 12), ("Adrơng", 10), ("Ayun", 8), ("Byă", 8), ("Êya", 7),
             ("Ktla", 5), ("Kpă", 5)),
    "Gia Rai": (("Ksor", 25), ("Rơ Châm", 15), ("Siu", 15), ("Rơ Mah", 12), ("Kpă", 10), ("Nay", 8),
                ("Puih", 8), ("Rah Lan", 7)),
    "Ba Na": (("Đinh", 40), ("A", 30), ("Y", 30)),
    "Sán Chay": (("Hoàng", 25), ("Lâm", 20), ("La", 20), ("Trần", 15), ("Lý", 10), ("Đàm", 10)),
    "Sán Dìu": (("Trần", 25), ("Lý", 20), ("Diệp", 15), ("Lam", 15), ("Triệu", 15), ("Bàn", 10)),
    "Giáy": (("Lò", 30), ("Hoàng", 25), ("Sần", 20), ("Vàng", 15), ("Lù", 10)),
    "Hà Nhì": (("Lò", 35), ("Chu", 25), ("Pờ", 20), ("Ly", 20)),
    "Khơ Mú": (("Vi", 30), ("Lò", 25), ("Quàng", 20), ("Lữ", 15), ("Cụt", 10)),
    "Chăm": (("Thị", 20), ("Đàng", 25), ("Thập", 20), ("Lộ", 15), ("Quảng", 10), ("Châu", 10)),
}
#: Naming pattern by ethnic group: kinh (surname middle given), mong, khmer, ede, jrai.
NAME_STYLE = {"H'Mông": "mong", "Khmer": "khmer", "Ê Đê": "ede", "Gia Rai": "jrai", "Ba Na": "jrai"}
MINORITY_SURNAMES = (("Đinh", 30), ("Hồ", 20), ("A", 15), ("Nguyễn", 15), ("Phạm", 10), ("Lê", 10))

MIDDLE = {
    ("nam", "old"): (("Văn", 70), ("Đức", 5), ("Đình", 5), ("Hữu", 4), ("Xuân", 3), ("Ngọc", 3),
                     ("Quang", 2), ("Công", 2), ("Minh", 2), ("Thanh", 2), ("Tấn", 2)),
    ("nu", "old"): (("Thị", 85), ("Ngọc", 3), ("Kim", 3), ("Thu", 2), ("Thanh", 2), ("Hồng", 2),
                    ("Xuân", 2), ("Bích", 1)),
    ("nam", "young"): (("Văn", 25), ("Minh", 10), ("Đức", 10), ("Gia", 8), ("Hoàng", 6), ("Bảo", 6),
                       ("Quốc", 5), ("Hữu", 5), ("Thành", 5), ("Anh", 5), ("Đăng", 5), ("Trung", 5),
                       ("Quang", 5)),
    ("nu", "young"): (("Thị", 25), ("Ngọc", 12), ("Thu", 6), ("Thanh", 6), ("Khánh", 6), ("Minh", 6),
                      ("Thùy", 6), ("Phương", 6), ("Bảo", 5), ("Mai", 5), ("Kim", 5), ("Hồng", 5),
                      ("Gia", 4), ("Quỳnh", 3)),
}
GIVEN = {
    ("nam", "old"): (
        "Hùng", "Dũng", "Thắng", "Lợi", "Bình", "Hòa", "Minh", "Sơn", "Hải", "Thành", "Tâm", "Phúc",
        "Chiến", "Quý", "Thuận", "Tiến", "Khải", "Lộc", "Thọ", "Tuất", "Tý", "Sửu", "Dần", "Thìn", "Ngọ",
        "Thân", "Dậu", "Cường", "Định", "Đức", "Hưng", "Khánh", "Lâm", "Long", "Nam", "Nghĩa", "Phong",
        "Quang", "Tài", "Thịnh", "Toàn", "Tùng", "Vinh", "Xuân", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Tám",
        "Chín", "Mười", "Út", "Cảnh", "Hiển", "Hiếu", "Kỳ", "Lực", "Mạnh", "Nhân", "Quế", "Sang",
        "Thiện", "Triều", "Trọng", "Tuấn", "Vượng", "Đông", "Huấn", "Luận"),
    ("nu", "old"): (
        "Lan", "Hoa", "Hồng", "Mai", "Hương", "Hạnh", "Nga", "Loan", "Huệ", "Cúc", "Đào", "Liên", "Xuân",
        "Thu", "Hà", "Vân", "Tuyết", "Nhàn", "Tâm", "Thủy", "Hiền", "Oanh", "Bích", "Lý", "Tươi", "Gái",
        "Nở", "Sen", "Mận", "Lài", "Lụa", "Tý", "Mùi", "Dậu", "Bưởi", "Mơ", "Nụ", "Thơm", "Tám", "Út",
        "Ba", "Tư", "Năm", "Sáu", "Bảy", "Chín", "Mười", "Hai", "Phượng", "Quế", "Thoa", "Yến", "Nhung",
        "Khuyên", "Lành", "Hảo", "Huyền", "Lệ", "Ngân", "Thanh", "Thảo", "Trinh", "Xuyến", "Thi", "Đông"),
    ("nam", "young"): (
        "Anh", "Bảo", "Đạt", "Đức", "Dũng", "Duy", "Hải", "Hiếu", "Hoàng", "Huy", "Hưng", "Khang", "Khánh",
        "Khôi", "Khoa", "Kiên", "Lâm", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong",
        "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành", "Thịnh", "Tiến", "Toàn", "Trung", "Tú",
        "Tuấn", "Tùng", "Vinh", "Việt", "Vũ", "An", "Bách", "Đăng", "Hào", "Kiệt", "Nguyên", "Phú",
        "Thiện", "Trí"),
    ("nu", "young"): (
        "Anh", "Châu", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hân", "Hằng", "Hiền", "Hoa", "Huyền",
        "Hương", "Lan", "Linh", "Ly", "Mai", "My", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương",
        "Quỳnh", "Tâm", "Thảo", "Thư", "Thủy", "Trang", "Trâm", "Tuyết", "Uyên", "Vân", "Vy", "Xuân",
        "Yến", "An", "Diệu", "Khuê", "Như", "Thanh", "Trúc"),
}
GIVEN_MONG = {"nam": ("Páo", "Chư", "Dình", "Sử", "Lử", "Pó", "Của", "Chá", "Dế", "Tủa", "Sính", "Pàng",
                      "Súa", "Tráng", "Chinh", "Giống", "Nủ", "Vư", "Chứ", "Sò"),
              "nu": ("Mỷ", "Chở", "Dung", "Sua", "Pà", "Mai", "Sinh", "Dợ", "Lỳ", "Chía", "Xua", "Mua",
                     "Máy", "Sú", "Ly", "Dì")}
MIDDLE_MONG = {"nam": (("A", 50), ("Seo", 15), ("Văn", 35)), "nu": (("Thị", 100),)}
GIVEN_KHMER = {"nam": ("Sa Rinh", "Sóc", "Phol", "Sà Rết", "Chanh", "Khiêm", "Thol", "Sa Ra", "Pho",
                       "Sóc Kha", "Chal", "Mây", "Ry", "Vọng", "Nô", "Đa", "Sam Bo", "Sa Vin"),
               "nu": ("Sa Phô", "Phol", "Mỹ", "Sa Ri", "Sà Ly", "Chanh", "Sết", "Nang", "Mau", "Sóc Thi",
                      "Sa Rum", "Sà Quanh", "Sa Rươne", "Thol", "Na")}
GIVEN_HIGHLAND = {"nam": ("Bhim", "Sao", "Bih", "Djuh", "Khăp", "Wang", "Thơ", "Nguê", "Jút", "Blúi",
                          "Hyôn", "Tuyên", "Lép", "Rin", "Yeo", "Nhă", "Phiu", "Kông"),
                  "nu": ("Hen", "Mai", "Wen", "Bia", "Linh", "Nguyên", "Yim", "Hoan", "Rim", "Ruôn", "Nhuôi",
                         "Lim", "Luyn", "Yer", "Lan", "Blơ")}

VILLAGE_SYLL_MOUNTAIN = (
    ("Nà", "Khuổi", "Pác", "Nậm", "Huổi", "Phiêng", "Hua", "Co", "Bó", "Lũng", "Na", "Pá", "Khau",
     "Tát", "Ngòi", "Cốc", "Phai", "Thẳm", "Sín", "Tả"),
    ("Bó", "Lừa", "Mòn", "Hẩu", "Cọn", "Khoang", "Đông", "Tấu", "Piềng", "Sản", "Lếch", "Ngòa", "Pục",
     "Lào", "Chang", "Kham", "Mạ", "Luông", "Ban", "Pia", "Nưa", "Tổng", "Vài", "Phầy", "Củm", "Chải"),
)
VILLAGE_SYLL_PLAIN = (
    "An", "Bình", "Phú", "Tân", "Hòa", "Long", "Mỹ", "Phước", "Thịnh", "Hưng", "Yên", "Vĩnh", "Xuân",
    "Lộc", "Thọ", "Khánh", "Đông", "Tây", "Trung", "Nam", "Bắc", "Thượng", "Hạ", "Quang", "Thành",
    "Đại", "Hậu", "Tiền", "Hợp", "Thuận", "Lợi", "Thạnh", "Định", "Ninh",
)
#: Village kinds of a Xã by region (percent).
VILLAGE_KINDS = {"nw": (("Bản", 80), ("Thôn", 20)), "ne": (("Thôn", 75), ("Bản", 25)),
                 "south": (("Ấp", 100),)}

STOP_REASONS = {
    "K1": "Trẻ đủ 16 tuổi, không tiếp tục đi học", "K3": "Trẻ đủ 16 tuổi",
    "K2": "Kết thúc thời gian học tập", "K7": "Trẻ đủ 3 tuổi", "K4": "Các con đã hết tuổi được tính hưởng",
}
ADJUST_REASON = "Đủ {age} tuổi: điều chỉnh mức trợ cấp"
INELIGIBLE = {
    "poor": "Hộ gia đình không còn thuộc hộ nghèo",
    "K4": "Hộ gia đình không còn thuộc hộ nghèo, hộ cận nghèo",
    "K5b": "Hộ gia đình không còn thuộc hộ nghèo, hộ cận nghèo",
    "K7": "Hộ gia đình không còn thuộc hộ nghèo, hộ cận nghèo",
    "K6": "Kết quả xác định lại mức độ khuyết tật: không còn khuyết tật nặng, đặc biệt nặng",
}
UPPER = {"K1": 16, "K3": 16, "K7": 3}                  # age bounds that end a membership
NEWLY = {"K5c": (80, 0.35), "K5b": (75, 0.4), "K5a": (60, 0.08), "K5d": (60, 0.05)}  # start at birthday
ADJUST_AT = {"K1": (4,), "K3": (4,), "K5a": (80,), "K6": (16, 60)}   # birthdays that change the band
CONTINUES = {"K1": ("K2", 0.45), "K3": ("K8", 0.5)}    # category after the 16th birthday, share
STOPPABLE = ("K3", "K4", "K5a", "K5b", "K5d", "K6", "K7", "K8")      # may lose eligibility
LEGAL_ND20 = "Nghị định 20/2021/NĐ-CP"
LEGAL_ND136 = "Nghị định 136/2013/NĐ-CP"
LEGAL_HTXH = "Luật Bảo hiểm xã hội 41/2024/QH15; Nghị định 176/2025/NĐ-CP"

PHONE_PREFIXES = tuple(sorted(p for _, prefixes in CARRIERS for p in prefixes))
CCCD_CODES = tuple(code for code, _ in CCCD_PROVINCES)


def _nfc(value):
    """NFC-normalise every string inside nested tuples/dicts (data tables above)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, tuple):
        return tuple(_nfc(v) for v in value)
    if isinstance(value, dict):
        return {_nfc(k): _nfc(v) for k, v in value.items()}
    return value


def _pool(pairs):
    """(items, cumulative weights) for weighted picks with bisect."""
    items, cum, total = [], [], 0
    for item, weight in pairs:
        total += weight
        items.append(item)
        cum.append(total)
    return tuple(items), tuple(cum)


def _pick(rng: random.Random, pool):
    items, cum = pool
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


MIX_POOL = _pool(MIX)
K1_POOL = _pool(_nfc(K1_SUBCASES))
ETHNIC_POOLS = {code: _pool(_nfc(mix)) for code, mix in ETHNIC_MIX.items()}
KINH_POOL = _nfc(_pool(KINH_SURNAMES))
SURNAME_POOLS = {
    **{g: _pool(_nfc(s)) for g, s in GROUP_SURNAMES.items()},
    "Kinh-north": KINH_POOL,
    "Kinh-central": _nfc(_pool(tuple((("Võ" if s == "Vũ" else s), w) for s, w in KINH_SURNAMES))),
    "Kinh-south": _nfc(_pool(tuple((({"Vũ": "Võ", "Hoàng": "Huỳnh"}.get(s, s)), w)
                                   for s, w in KINH_SURNAMES))),
}
MINORITY_POOL = _pool(_nfc(MINORITY_SURNAMES))
MIDDLE_POOLS = {k: _pool(_nfc(v)) for k, v in MIDDLE.items()}
MIDDLE_MONG_POOLS = {k: _pool(_nfc(v)) for k, v in MIDDLE_MONG.items()}
GIVEN = _nfc(GIVEN)
GIVEN_MONG, GIVEN_KHMER, GIVEN_HIGHLAND = _nfc(GIVEN_MONG), _nfc(GIVEN_KHMER), _nfc(GIVEN_HIGHLAND)
VILLAGE_SYLL_MOUNTAIN, VILLAGE_SYLL_PLAIN = _nfc(VILLAGE_SYLL_MOUNTAIN), _nfc(VILLAGE_SYLL_PLAIN)
VILLAGE_KIND_POOLS = {k: _pool(_nfc(v)) for k, v in VILLAGE_KINDS.items()}
STOP_REASONS = _nfc(STOP_REASONS)
KINH_ONLY = _pool((("Kinh", 1),))

# ---------------------------------------------------------------------------
# Dates (pure)
# ---------------------------------------------------------------------------


def add_years(d: date, n: int) -> date:
    """The n-th anniversary of d (29 February → 28 February in a common year)."""
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return date(d.year + n, 2, 28)


def age_on(birth: date, d: date) -> int:
    """Full years completed on d."""
    return d.year - birth.year - ((d.month, d.day) < (birth.month, birth.day))


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def next_month(d: date) -> date:
    """First day of the month after d's month."""
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _vn(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _rint(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi] (cheaper than randint)."""
    return lo + int(rng.random() * (hi - lo + 1))


def _rdate(rng: random.Random, lo: date, hi: date) -> date:
    if hi <= lo:
        return lo
    return date.fromordinal(_rint(rng, lo.toordinal(), hi.toordinal()))


STAMP_TIME = " 08:00:00"


def _stamp(d: date) -> str:
    return d.isoformat() + STAMP_TIME


# ---------------------------------------------------------------------------
# Names and identity numbers (pure, given an rng)
# ---------------------------------------------------------------------------


def full_name(rng: random.Random, ethnicity: str, sex: str, birth_year: int, region: str,
              surname: str | None = None) -> tuple[str, str]:
    """A plausible (full name, surname) for a person of this group, sex and generation."""
    style = NAME_STYLE.get(ethnicity, "kinh")
    if surname is None:
        if ethnicity == "Kinh":
            key = {"south": "Kinh-south", "central": "Kinh-central", "highlands": "Kinh-central"}
            surname = _pick(rng, SURNAME_POOLS[key.get(region, "Kinh-north")])
        else:
            surname = _pick(rng, SURNAME_POOLS.get(ethnicity, MINORITY_POOL))
    if style == "mong":
        given = GIVEN_MONG[sex]
        name = f"{surname} {_pick(rng, MIDDLE_MONG_POOLS[sex])} {given[int(rng.random() * len(given))]}"
    elif style == "khmer":
        given = GIVEN_KHMER[sex]
        middle = "Thị " if sex == "nu" and rng.random() < 0.6 else ""
        name = f"{surname} {middle}{given[int(rng.random() * len(given))]}"
    elif style in ("ede", "jrai"):
        given = GIVEN_HIGHLAND[sex]
        first = ("Y " if sex == "nam" else "H'") + given[int(rng.random() * len(given))]
        name = f"{first} {surname}" if style == "ede" else f"{surname} {first}"
    else:
        gen = "old" if birth_year < 1970 else "young"
        given = GIVEN[(sex, gen)]
        name = f"{surname} {_pick(rng, MIDDLE_POOLS[(sex, gen)])} {given[int(rng.random() * len(given))]}"
    return unicodedata.normalize("NFC", name), surname


def cccd_number(rng: random.Random, province_code: str, birth_year: int, sex: str) -> str:
    """A 12-digit personal ID shaped like a real one (the serial is random).

    Digits 1–3: birth-registration province (old 63-province table); digit 4: century
    and sex (1900s: 0 male, 1 female; 2000s: 2, 3); digits 5–6: the year of birth.
    """
    digit = (0 if birth_year < 2000 else 2) + (sex == "nu")
    return f"{province_code}{digit}{birth_year % 100:02d}{int(rng.random() * 1_000_000):06d}"


def phone_number(rng: random.Random) -> str:
    return f"{PHONE_PREFIXES[int(rng.random() * len(PHONE_PREFIXES))]}{int(rng.random() * 10_000_000):07d}"


# ---------------------------------------------------------------------------
# Reference data read once from the database
# ---------------------------------------------------------------------------

COLUMNS = {
    "villages": ("id", "commune_code", "name", "kind", "valid_from"),
    "area_flags": ("commune_code", "village_id", "flag", "valid_from", "legal_basis"),
    "households": ("id", "code", "commune_code", "village_id", "head_name", "created_at"),
    "household_poverty": ("household_id", "commune_code", "status", "valid_from", "valid_to", "basis"),
    "persons": ("id", "full_name", "sex", "birth_date", "birth_precision", "birth_year", "ethnicity",
                "cccd", "cmnd", "household_id", "commune_code", "village_id", "phone", "death_date",
                "death_cause", "created_at", "updated_at"),
    "memberships": ("id", "person_id", "commune_code", "category", "valid_from", "valid_to",
                    "disability_level", "disability_cert_date", "k1_subcase", "studying_until",
                    "hiv_positive", "note"),
    "membership_children": ("membership_id", "commune_code", "child_person_id", "full_name", "birth_date",
                            "studying_until"),
    "care_entitlements": ("code", "carer_person_id", "cared_person_id", "commune_code", "valid_from",
                          "valid_to", "note"),
    "social_pensions": ("person_id", "commune_code", "from_month", "to_month", "decision_number"),
    "decisions": ("number", "kind", "program", "person_id", "membership_id", "commune_code",
                  "legacy_commune_code", "legacy_district_code", "signed_date", "signer_name",
                  "signer_title", "authority_level", "start_month", "stop_month", "amount", "legal_basis",
                  "reason", "created_at", "created_by"),
}
INSERT_SQL = {t: f"INSERT INTO {t} ({', '.join(c)}) VALUES ({', '.join('?' for _ in c)})"
              for t, c in COLUMNS.items()}
ID_TABLES = ("villages", "households", "persons", "memberships")
REQUIRED_CODES = ("K1", "K2", "K3", "K4", "K5a", "K5b", "K5c", "K5d", "K6", "K7", "K8", "C1", "C2",
                  "C3", "C4", "C5")


class _Commune:
    """What the generator needs to know about one 2025 commune."""

    __slots__ = ("code", "province", "name", "title", "type", "region", "legacy")

    def __init__(self, code, province, name, short_name, type_, legacy):
        self.code, self.province, self.name, self.type = code, province, name, type_
        self.title = f"{type_.lower()} {short_name}"        # "xã Lâm Bình", "phường Hà Giang 1"
        self.region = REGION.get(province, "delta")
        self.legacy = legacy                                 # [(legacy commune, legacy district)]


class _Ref:
    """Reference rows (communes, old units, existing villages and flags), read once."""

    def __init__(self, db: sqlite_utils.Database):
        q = db.execute
        self.rows = {r[0]: r[1:] for r in q(
            "SELECT code, province_code, name, short_name, type FROM communes ORDER BY code")}
        self.by_province: dict[str, list[str]] = {}
        for code, row in self.rows.items():
            self.by_province.setdefault(row[0], []).append(code)
        self.legacy: dict[str, list[tuple[str, str]]] = {}
        for new, old, district in q(
                "SELECT s.commune_code, s.legacy_commune_code, l.district_code FROM commune_succession s"
                " JOIN legacy_communes l ON l.code = s.legacy_commune_code"
                " ORDER BY s.commune_code, s.is_primary DESC, s.legacy_commune_code"):
            self.legacy.setdefault(new, []).append((old, district))
        self.districts = {code: f"{type_.lower()} {short}" for code, type_, short in q(
            "SELECT code, type, short_name FROM legacy_districts")}
        self.home: dict[str, list[str]] = {}
        for old, new in q("SELECT legacy_province_code, province_code FROM province_succession"
                          " ORDER BY legacy_province_code"):
            if "0" + old in CCCD_CODES:
                self.home.setdefault(new, []).append("0" + old)
        self.villages: dict[str, list[tuple[int, str, str]]] = {}
        for vid, commune, name, kind in q("SELECT id, commune_code, name, kind FROM villages ORDER BY id"):
            self.villages.setdefault(commune, []).append((vid, name, kind))
        flags = q("SELECT commune_code, village_id, flag FROM area_flags").fetchall()
        self.flags_loaded = bool(flags)
        self.xa_dbkk = {c for c, _, f in flags if f == "xa_dbkk"}
        self.thon_dbkk = {v for _, v, f in flags if f == "thon_dbkk"}
        self._cache: dict[str, _Commune] = {}

    def commune(self, code: str) -> _Commune:
        if code not in self._cache:
            province, name, short, type_ = self.rows[code]
            self._cache[code] = _Commune(code, province, name, short, type_, self.legacy.get(code, []))
        return self._cache[code]

    def cccd_home(self, province: str) -> tuple[str, ...]:
        """CCCD province codes of the old provinces that form this one."""
        if self.home.get(province):
            return tuple(self.home[province])
        return ("0" + province,) if "0" + province in CCCD_CODES else CCCD_CODES


def pick_province(db: sqlite_utils.Database, province: str | None = None) -> str:
    """The province a commune/province-scale demo is built in: `province` if it has communes,
    else Tuyên Quang ("08") when present, else the first province with communes."""
    codes = [r[0] for r in db.execute("SELECT DISTINCT province_code FROM communes ORDER BY 1")]
    return _choose_province(codes, province)


def _choose_province(codes: list[str], province: str | None) -> str:
    if not codes:
        raise ValueError("Chưa có danh mục xã: hãy nạp dữ liệu tham chiếu (btxh init) trước.")
    if province is not None:
        if province not in codes:
            raise ValueError(f"Không có tỉnh mã {province!r} (có xã) trong danh mục.")
        return province
    return DEFAULT_PROVINCE if DEFAULT_PROVINCE in codes else codes[0]


def expected_persons(scale: str) -> int:
    """About how many person rows `generate` writes at this scale (for a progress bar)."""
    return round(SCALES[scale] * PERSONS_PER_BENEFICIARY)


def commune_targets(ref: _Ref, scale: str, seed: int, province: str | None) -> list[tuple[str, int]]:
    """(commune code, number of beneficiaries) for every commune the scale covers."""
    rng = random.Random(f"{seed}:plan:{scale}")
    if scale == "commune":
        codes = ref.by_province.get(_choose_province(sorted(ref.by_province), province), [])
        rural = [c for c in codes if ref.rows[c][3] == "Xã"] or codes
        return [(rural[int(rng.random() * len(rural))], SCALES["commune"])]
    if scale == "province":
        codes = ref.by_province.get(_choose_province(sorted(ref.by_province), province), [])
        factor = {"Xã": 1.0, "Phường": 0.7, "Đặc khu": 0.4}
        weights = [rng.uniform(0.5, 1.5) * factor.get(ref.rows[c][3], 1.0) for c in codes]
        return list(zip(codes, _apportion(SCALES["province"], weights)))
    if scale == "national":
        codes = sorted(ref.rows)
        draws = [rng.triangular(NATIONAL_MIN, NATIONAL_MAX, NATIONAL_MODE) for _ in codes]
        total = round(SCALES["national"] * len(codes) / NATIONAL_COMMUNES)
        scale_by = total / sum(draws) if draws else 0
        sizes = [min(NATIONAL_MAX, max(NATIONAL_MIN, round(d * scale_by))) for d in draws]
        return list(zip(codes, sizes))
    raise ValueError(f"Quy mô không hợp lệ: {scale!r} (chọn một trong {', '.join(SCALES)})")


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that add up to total (largest remainder)."""
    if not weights:
        return []
    s = sum(weights)
    exact = [total * w / s for w in weights]
    out = [int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (out[i] - exact[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------


class _Case:
    """The person at the centre of one generated case (beneficiary or pensioner)."""

    __slots__ = ("pid", "legacy", "origin", "moved", "touch")

    def __init__(self, pid, legacy):
        self.pid, self.legacy = pid, legacy
        self.origin = self.moved = None     # commune moved from (same province) and when
        self.touch = None                   # latest decision date, for persons.updated_at


class _Place:
    """Per-commune state while its rows are generated."""

    __slots__ = ("c", "rng", "villages", "village_pool", "dbkk", "xa", "households", "hh_seq",
                 "home", "ethnic", "neighbours")


class _Builder:
    """Generates the rows of a few communes as tuples, with ids local to this chunk.

    Nothing here touches the database, so chunks can be generated in other processes;
    `_Assembler` turns local ids into database ids, makes CCCD numbers unique and numbers
    the decisions, always in plan order.  Existing villages keep their id, negated.
    """

    def __init__(self, ref: _Ref, seed: int, today: date):
        self.ref, self.seed, self.today = ref, seed, today
        self.rows = {t: [] for t in COLUMNS}
        self.next_id = dict.fromkeys(ID_TABLES, 1)
        self.signers: dict[tuple[str, int], tuple[str, str]] = {}
        self.recent = today - timedelta(days=730)      # two years of history
        self.last = today - timedelta(days=1)

    def _id(self, table: str) -> int:
        n = self.next_id[table]
        self.next_id[table] = n + 1
        return n

    def chunk(self, plan: list[tuple[str, int]], force_dbkk: bool) -> tuple[dict, dict]:
        """(local ids used per table, rows per table) of these communes."""
        for code, n in plan:
            rng = random.Random(f"{self.seed}:{code}")
            x = self.place(code, rng, force_dbkk)
            beneficiary = self.beneficiary
            for _ in range(n):
                beneficiary(x, _pick(rng, MIX_POOL))
        return {t: n - 1 for t, n in self.next_id.items()}, self.rows

    # -- places ------------------------------------------------------------

    def place(self, code: str, rng: random.Random, force_dbkk: bool) -> _Place:
        x = _Place()
        x.c = c = self.ref.commune(code)
        x.rng = rng
        existing = [(-vid, name, kind) for vid, name, kind in self.ref.villages.get(code, ())]
        x.villages = existing or self._new_villages(c, rng)
        legacy = c.legacy or [(None, None)]
        x.villages = [(vid, name, kind, legacy[i % len(legacy)]) for i, (vid, name, kind) in
                      enumerate(x.villages)]
        x.village_pool = _pool((i, rng.uniform(0.5, 1.5)) for i in range(len(x.villages)))
        if self.ref.flags_loaded:
            x.xa = code in self.ref.xa_dbkk
            x.dbkk = [i for i, v in enumerate(x.villages) if -v[0] in self.ref.thon_dbkk]
        else:
            x.xa, x.dbkk = self._new_flags(c, x.villages, rng, force_dbkk)
        x.households = [[] for _ in x.villages]
        x.hh_seq = 0
        x.home = self.ref.cccd_home(c.province)
        x.ethnic = ETHNIC_POOLS.get(c.province, KINH_ONLY)
        x.neighbours = [n for n in self.ref.by_province.get(c.province, ()) if n != code]
        return x

    def _new_villages(self, c: _Commune, rng: random.Random) -> list[tuple[int, str, str]]:
        if c.type == "Phường":
            kind = "Khu phố" if c.region == "south" else "Tổ dân phố"
            count, kinds = _rint(rng, 8, 25), None
        else:
            kind = "Ấp" if c.region == "south" else "Thôn"
            count = _rint(rng, 5, 12) if c.type == "Đặc khu" else _rint(rng, 10, 30)
            kinds = VILLAGE_KIND_POOLS.get(c.region) if c.type == "Xã" else None
        numbered = kinds is None or c.region not in ("nw", "ne")
        numbered = numbered and (c.type != "Xã" or rng.random() < 0.6)
        out, seen = [], set()
        for i in range(1, count + 1):
            k = _pick(rng, kinds) if kinds else kind
            if numbered:
                name = f"{k} {i}"
            else:
                syll = VILLAGE_SYLL_MOUNTAIN if k == "Bản" or c.region in ("nw", "ne") else (
                    VILLAGE_SYLL_PLAIN, VILLAGE_SYLL_PLAIN)
                first, second = syll
                name = f"{k} {first[int(rng.random() * len(first))]} {second[int(rng.random() * len(second))]}"
                if name in seen:
                    name = f"{name} {i}"
            seen.add(name)
            vid = self._id("villages")
            self.rows["villages"].append((vid, c.code, name, k, "2025-07-01"))
            out.append((vid, name, k))
        return out

    def _new_flags(self, c, villages, rng, force):
        share = DBKK_SHARE[c.region]
        if c.type == "Xã" and rng.random() < share:
            self.rows["area_flags"].append((c.code, None, "xa_dbkk", "2021-07-01", DEMO_BASIS))
            return True, []
        dbkk = []
        if (c.type == "Xã" and rng.random() < share) or force:
            k = max(1, round(len(villages) * rng.uniform(0.15, 0.35)))
            dbkk = sorted(rng.sample(range(len(villages)), min(k, len(villages))))
            for i in dbkk:
                self.rows["area_flags"].append((None, villages[i][0], "thon_dbkk", "2021-07-01", DEMO_BASIS))
        return False, dbkk

    # -- decisions -----------------------------------------------------------

    def _signers(self, key: str, term: int, region: str, place: str) -> tuple[tuple[str, str], ...]:
        """(name, title) of the chairman and of the vice-chairman of an authority in a term."""
        pair = self.signers.get((key, term))
        if pair is None:
            r = random.Random(f"{self.seed}:signer:{key}:{term}")
            pair = tuple((full_name(r, "Kinh", "nam" if r.random() < 0.8 else "nu", r.randint(1965, 1985), region)[0],
                          f"{title} UBND {place}") for title in ("Chủ tịch", "Phó Chủ tịch"))
            self.signers[(key, term)] = pair
        return pair

    def decision(self, x: _Place, p: _Case, kind: str, mid, signed: date, *, program="TCXH",
                 start: str | None = None, stop: str | None = None, reason: str | None = None,
                 at_origin: bool = False) -> int:
        """Append one decision signed by the authority competent on that date; return its index.

        The number is left as (authority, year, step) for `_Assembler` to fill in.
        """
        rng = x.rng
        c, legacy = x.c, p.legacy
        if p.origin is not None and (at_origin or signed < p.moved):
            c = p.origin
            legacy = c.legacy[0] if c.legacy else (None, None)
        if signed < COMMUNE_LEVEL_FROM:
            level, (lc, ld) = "huyen", legacy
            key = ld or "H" + c.code
            place = self.ref.districts.get(ld, "cấp huyện")
            term = 0 if signed < ND20_FROM else 1
        else:
            level, lc, ld, key, place, term = "xa", None, None, c.code, c.title, 2
        chair, vice = self._signers(key, term, c.region, place)
        name, title = chair if rng.random() < 0.3 else vice
        number = (key, signed.year, 1 + int(rng.random() * 3))
        basis = LEGAL_HTXH if program == "HTXH" else LEGAL_ND136 if signed < ND20_FROM else LEGAL_ND20
        decisions = self.rows["decisions"]
        iso = signed.isoformat()
        decisions.append((number, kind, program, p.pid, mid, c.code, lc, ld, iso, name, title, level, start,
                          stop, None, basis, reason, iso + STAMP_TIME, CREATED_BY))
        if p.touch is None or signed > p.touch:
            p.touch = signed
        return len(decisions) - 1

    def _signed(self, rng, d: date, lo: int = 7, hi: int = 45) -> date | None:
        """When a decision about something on d gets signed (None: not yet by today)."""
        s = d + timedelta(days=_rint(rng, lo, hi))
        return s if s <= self.last else None

    # -- people ----------------------------------------------------------------

    def _identity(self, x: _Place, birth_year: int, sex: str, age: int):
        rng = x.rng
        r = rng.random()
        if age >= 60:
            if r < 0.025:
                return None, f"{_rint(rng, 10_000_000, 399_999_999):09d}"
            if r < 0.10:
                return None, None
        elif r < (0.03 if age < 14 else 0.02):
            return None, None
        home = x.home if rng.random() < 0.92 else CCCD_CODES
        return cccd_number(rng, home[int(rng.random() * len(home))], birth_year, sex), None

    def person(self, x: _Place, pid: int, sex: str, birth: date, precision: str, name: str, eth: str,
               hh: int, village: int, created: date, updated: date | None = None,
               death: date | None = None) -> None:
        rng = x.rng
        age = age_on(birth, self.today)
        cccd, cmnd = self._identity(x, birth.year, sex, age)
        phone = None
        if age >= 18 and rng.random() < (0.45 if age < 75 else 0.2):
            phone = phone_number(rng)
        text = (f"{birth.year:04d}" if precision == "year" else
                f"{birth.year:04d}-{birth.month:02d}" if precision == "month" else birth.isoformat())
        cause = None
        if death is not None:
            cause = "thien_tai" if rng.random() < 0.03 else "khac"
        upd = max(d for d in (created, updated, death) if d is not None)
        self.rows["persons"].append((
            pid, name, sex, text, precision, birth.year, eth, cccd, cmnd, hh, x.c.code,
            x.villages[village][0], phone, death.isoformat() if death else None, cause,
            _stamp(created), _stamp(upd)))

    def household(self, x: _Place, village: int, head: str, created: date, need: str | None,
                  start: date, poverty_end: date | None = None, share: bool = False) -> int:
        """A household in the village (maybe an existing one), with poverty periods when needed."""
        rng = x.rng
        recent = x.households[village]
        if share and recent:
            hh, status = recent[-1 - int(rng.random() * min(len(recent), 20))]
            if need is None or (status is not None and (need == "any" or status == need)):
                return hh
        hh = self._id("households")
        x.hh_seq += 1
        self.rows["households"].append((hh, f"HGD-{x.c.code}-{x.hh_seq:05d}", x.c.code,
                                        x.villages[village][0], head, _stamp(created)))
        status = None
        if need is None and rng.random() < 0.15:
            need = "any"
        if need is not None:
            status = "ngheo" if need == "ngheo" or rng.random() < 0.6 else "can_ngheo"
            self._poverty(x, hh, status, need, start, poverty_end)
        recent.append((hh, status))
        return hh

    def _poverty(self, x, hh, status, need, start, end):
        """Poverty periods from a yearly review; a poor household may later become near-poor."""
        rng = x.rng
        y0 = max(2016, start.year - _rint(rng, 0, 2))
        rows = self.rows["household_poverty"]
        if (end is None and need == "any" and status == "ngheo" and start.year < self.today.year
                and rng.random() < 0.2):
            y1 = _rint(rng, start.year, self.today.year - 1)
            rows.append((hh, x.c.code, "ngheo", f"{y0}-01-01", f"{y1}-12-31", POVERTY_BASIS.format(y0 - 1)))
            rows.append((hh, x.c.code, "can_ngheo", f"{y1 + 1}-01-01", None, POVERTY_BASIS.format(y1)))
            return
        rows.append((hh, x.c.code, status, f"{y0}-01-01", end.isoformat() if end else None,
                     POVERTY_BASIS.format(y0 - 1)))

    # -- cases -------------------------------------------------------------------

    def _start(self, rng: random.Random, earliest: date) -> date:
        """valid_from of a membership: a third new in the last two years, the rest older."""
        if rng.random() < 0.35 or earliest >= self.recent:
            return _rdate(rng, max(earliest, self.recent), self.last)
        return _rdate(rng, earliest, self.recent - timedelta(days=1))

    def _birth(self, rng, anchor: date, age: int, later_if_leap: bool) -> date:
        """A birth date such that the person is `age` on `anchor` (never 29 February)."""
        birth = add_years(anchor, -age) - timedelta(days=_rint(rng, 0, 364))
        if birth.month == 2 and birth.day == 29:
            birth += timedelta(days=1 if later_if_leap else -1)
        return birth

    def _precision(self, rng, birth: date) -> tuple[date, str]:
        """(effective birth date, precision): partial dates for some of the elderly."""
        if age_on(birth, self.today) >= 60:
            r = rng.random()
            if r < 0.20:
                return date(birth.year, 1, 1), "year"
            if r < 0.23:
                return date(birth.year, birth.month, 1), "month"
        return birth, "day"

    def _death(self, rng, b: date, after: date) -> date | None:
        age = age_on(b, self.today)
        p = 0.13 if age >= 80 else 0.05 if age >= 60 else 0.015 if age >= 16 else 0.003
        lo = max(after + timedelta(days=30), self.recent)
        if lo <= self.last and rng.random() < p:
            return _rdate(rng, lo, self.last)
        return None

    def beneficiary(self, x: _Place, cat: str) -> None:
        """One TCXH beneficiary with memberships, decisions and what comes with them."""
        if cat == "HTXH":
            return self.pensioner(x)
        if cat in ("K5b", "K7") and not (x.xa or x.dbkk):
            cat = "K5c" if cat == "K5b" else "K6"
        rng, last = x.rng, self.last
        upper = UPPER.get(cat)
        E = self._start(rng, ND20_FROM if cat in ("K5b", "K7", "K8") else HISTORY_FROM)
        sex, a = _sex_age(rng, cat)
        a = min(a, 100 - (self.today - E).days // 366)
        birth = self._birth(rng, E, a, upper is not None)
        E = max(E, birth)
        b, precision = self._precision(rng, birth)
        if cat in NEWLY:
            lower, share = NEWLY[cat]
            t = add_years(b, lower)
            if rng.random() < share and (ND20_FROM if cat == "K5b" else HISTORY_FROM) <= t <= last:
                E = t
        # how the membership ends, if it does
        ends = []
        D = self._death(rng, b, E)
        if D:
            ends.append((D, "death"))
        if upper:
            natural = month_end(add_years(b, upper))
            if natural <= last:
                ends.append((natural, "age"))
        children = self._k4_children(rng, E, a, b) if cat == "K4" else None
        if children:
            natural = max(c[3] for c in children)
            if natural <= last:
                ends.append((natural, "age"))
        event, X = None, None
        r = rng.random()
        lo, hi = max(E + timedelta(days=60), self.recent), self.today - timedelta(days=30)
        if lo <= hi and r < 0.052:
            X = _rdate(rng, lo, hi)
            event = ("inelig" if r < 0.025 and cat in STOPPABLE else "out" if r < 0.030 else
                     "moved_in" if r < 0.040 and x.neighbours else "suspend" if r >= 0.040 else None)
            if event in ("inelig", "out"):
                ends.append((month_end(X), event))
        end, how = min(ends) if ends else (None, None)
        if how != "death":
            D = None
        if event in ("moved_in", "suspend") and end is not None and X >= end:
            event = None
        # where they live
        village = x.dbkk[int(rng.random() * len(x.dbkk))] if cat in ("K5b", "K7") and not x.xa else \
            _pick(rng, x.village_pool)
        eth = _pick(rng, x.ethnic)
        name, surname = full_name(rng, eth, sex, b.year, x.c.region)
        pid = self._id("persons")
        p = _Case(pid, x.villages[village][3])
        if event == "moved_in":
            p.origin, p.moved = self.ref.commune(x.neighbours[int(rng.random() * len(x.neighbours))]), X
        level = ("DBN" if rng.random() < 0.25 else "NANG") if cat == "K6" else None
        carer = _carer_for(rng, cat, a, level)
        carer_name = None
        if carer:
            carer_name = full_name(rng, eth, carer[0], E.year - carer[1], x.c.region,
                                   surname if carer[2] else None)[0]
        if upper or cat == "K7":
            head = carer_name or full_name(rng, eth, "nam", E.year - 40, x.c.region, surname)[0]
        else:
            head = name if rng.random() < 0.7 else full_name(rng, eth, "nam", b.year + 25, x.c.region,
                                                             surname)[0]
        second = _second_category(rng, cat, a)
        need = ("ngheo" if cat in POOR_ONLY or second == "K8" else "any" if cat in POOR_OR_NEAR else None)
        poverty_end = X - timedelta(days=1) if how == "inelig" and need else None
        hh = self.household(x, village, head, E, need, E, poverty_end,
                            share=need is None and rng.random() < 0.12 and (cat in ELDERLY or a >= 16))
        # the membership and its decisions
        mid = self._id("memberships")
        note = None
        if p.origin is not None:
            note = f"Chuyển từ {p.origin.name} đến từ tháng {X.month:02d}/{X.year}"
        self.rows["memberships"].append((
            mid, pid, x.c.code, cat, E.isoformat(), end.isoformat() if end else None, level,
            E.isoformat() if cat == "K6" else None, _pick(rng, K1_POOL) if cat == "K1" else None,
            None, int(cat in ("K3", "K8")), note))
        self._grant(x, p, mid, cat, E, b)
        self._adjustments(x, p, mid, cat, E, b, end)
        continued = None
        if how == "age" and cat in CONTINUES and rng.random() < CONTINUES[cat][1]:
            continued = self._continue(x, p, cat, b, end)
        if how == "age" and not continued:
            t = add_years(b, upper) if upper else end
            self._stop(x, p, mid, t, t, 0, 30, STOP_REASONS[cat])
        elif how == "death":
            self._stop(x, p, mid, D, D, 5, 45, f"Đối tượng chết ngày {_vn(D)}")
        elif how == "inelig":
            self._stop(x, p, mid, X, X, 5, 30, INELIGIBLE.get(cat, INELIGIBLE["poor"]))
        elif how == "out":
            self._stop(x, p, mid, X, X, 3, 20, "Chuyển nơi cư trú ra ngoài tỉnh")
        if event == "moved_in":
            self._move(x, p, mid, X)
        elif event == "suspend":
            self._suspend(x, p, mid, X)
        if children:
            self._write_children(x, mid, children, surname, eth, hh, village, E)
        if second:
            self._second(x, p, second, mid, E, end, how, D)
        if cat == "K5c" and rng.random() < 0.08 and (D is None or D > HTXH_FROM) and end in (None, D):
            self._pension(x, p, max(E, HTXH_FROM), D)
        if carer:
            self._care(x, p, cat, mid, carer, carer_name, eth, hh, village, E, b, end, level)
        if cat == "K6" and sex == "nu" and 18 <= a <= 45 and rng.random() < 0.08:
            self._c3c4(x, p, mid, E, end)
        self.person(x, pid, sex, b, precision, name, eth, hh, village, E, p.touch, D)

    def _grant(self, x, p, mid, cat, E, b) -> None:
        signed = min(E + timedelta(days=_rint(x.rng, 7, 45)), self.last)
        start = month_of(signed)
        if cat == "K6" or (cat in ("K5b", "K5c") and E == add_years(b, NEWLY[cat][0])):
            start = month_of(E)      # certificate month / 75th or 80th birthday month (rules.md §6)
        self.decision(x, p, "grant", mid, signed, start=start)

    def _adjustments(self, x, p, mid, cat, E, b, end) -> None:
        limit = min(end or self.last, self.last)
        for age in ADJUST_AT.get(cat, ()):
            t = add_years(b, age)
            s = t + timedelta(days=_rint(x.rng, 0, 25))
            if E < t and s <= limit:
                self.decision(x, p, "adjust", mid, s, start=month_of(t), reason=ADJUST_REASON.format(age=age))

    def _stop(self, x, p, mid, when: date, base: date, lo: int, hi: int, reason: str,
              program: str = "TCXH") -> None:
        """A stop from the month after `when`, signed lo–hi days after `base` (if by today)."""
        s = self._signed(x.rng, base, lo, hi)
        if s is not None:
            self.decision(x, p, "stop", mid, s, program=program, stop=month_of(next_month(when)),
                          reason=reason)

    def _continue(self, x, p, cat, b, end) -> int | None:
        """K1 → K2 (studying) or K3 → K8 from the month after the 16th birthday month."""
        rng = x.rng
        E2 = end + timedelta(days=1)
        if E2 > self.last:
            return None
        new = CONTINUES[cat][0]
        mid = self._id("memberships")
        su = end2 = None
        if new == "K2":
            su = date(b.year + 18, 5, 31) if rng.random() < 0.55 else date(b.year + 21, 6, 30)
            end2 = min(su, month_end(add_years(b, 22)))
            end2 = end2 if end2 <= self.last else None
        self.rows["memberships"].append((
            mid, p.pid, x.c.code, new, E2.isoformat(), end2.isoformat() if end2 else None, None, None,
            None, su.isoformat() if su else None, int(new == "K8"), None))
        signed = min(E2 + timedelta(days=_rint(rng, 0, 30)), self.last)
        self.decision(x, p, "grant", mid, signed, start=month_of(E2))
        if end2:
            self._stop(x, p, mid, end2, end2, 0, 30, STOP_REASONS["K2"])
        return mid

    def _move(self, x, p, mid, X) -> None:
        """Moved in from another commune of the province: stop there, move here."""
        rng, month = x.rng, month_of(next_month(X))
        s1 = min(X + timedelta(days=_rint(rng, 0, 10)), self.last)
        self.decision(x, p, "stop", mid, s1, stop=month, reason=f"Chuyển đến {x.c.name}", at_origin=True)
        s2 = min(X + timedelta(days=_rint(rng, 3, 20)), self.last)
        self.decision(x, p, "move", mid, s2, start=month, reason=f"Chuyển đến từ {p.origin.name}")

    def _suspend(self, x, p, mid, X) -> None:
        self.decision(x, p, "suspend", mid, X, stop=month_of(next_month(X)),
                      reason="Không nhận trợ cấp 3 tháng liên tục")
        R = X + timedelta(days=_rint(x.rng, 30, 150))
        if x.rng.random() < 0.6 and R <= self.last:
            self.decision(x, p, "resume", mid, R, start=month_of(R),
                          reason="Tiếp tục hưởng; truy lĩnh các tháng bị tạm dừng")

    def _second(self, x, p, new, mid, E, end, how, D) -> None:
        """A second membership: K4+K6, K5a+K6 or K6+K8."""
        rng = x.rng
        limit = end if how in ("death", "out") else None
        E2 = min(E + timedelta(days=_rint(rng, 0, 400)), limit or self.last)
        mid2 = self._id("memberships")
        level = ("NANG" if rng.random() < 0.8 else "DBN") if new == "K6" else None
        self.rows["memberships"].append((
            mid2, p.pid, x.c.code, new, E2.isoformat(), limit.isoformat() if limit else None, level,
            E2.isoformat() if level else None, None, None, int(new == "K8"), None))
        self._grant(x, p, mid2, new, E2, None)
        if how == "death":
            self._stop(x, p, mid2, D, D, 5, 45, f"Đối tượng chết ngày {_vn(D)}")

    def _pension(self, x, p, lo: date, D: date | None) -> None:
        """A social pension (HTXH) window and its decision."""
        rng = x.rng
        hi = min(D or self.last, self.last)
        if lo > hi:
            return
        S = _rdate(rng, lo, min(lo + timedelta(days=25), hi)) if rng.random() < 0.5 else _rdate(rng, lo, hi)
        decision = self.decision(x, p, "grant", None, S, program="HTXH", start=month_of(S))
        self.rows["social_pensions"].append((p.pid, x.c.code, month_of(S), month_of(D) if D else None,
                                             decision))
        if D:
            self._stop(x, p, None, D, D, 5, 45, f"Đối tượng chết ngày {_vn(D)}", program="HTXH")

    def _entitle(self, x, p, code, carer, cared, mid, start, end, note) -> None:
        """One care-support (CSND) window with its grant decision."""
        self.rows["care_entitlements"].append((code, carer.pid, cared, x.c.code, start.isoformat(),
                                               end.isoformat() if end else None, note))
        signed = min(start + timedelta(days=_rint(x.rng, 7, 45)), self.last)
        self.decision(x, carer, "grant", mid, signed, program="CSND", start=month_of(signed))

    def _care(self, x, p, cat, mid, carer, carer_name, eth, hh, village, E, b, end, level) -> None:
        """The carer of a K1 child (C1/C2), a K5d person (C2) or a DBN person (C5)."""
        rng = x.rng
        sex, age, _ = carer
        cp = _Case(self._id("persons"), p.legacy)
        cp.origin, cp.moved = p.origin, p.moved
        if cat == "K1":
            t4 = add_years(b, 4).replace(day=1)
            note = "Cá nhân nhận chăm sóc, nuôi dưỡng trẻ em"
            if E < t4:
                c1_end = t4 - timedelta(days=1)
                c1_end = min(c1_end, end) if end else c1_end
                self._entitle(x, cp, "C1", cp, p.pid, mid, E, c1_end if c1_end <= self.last else None, note)
                if t4 <= min(end or self.last, self.last):
                    self._entitle(x, cp, "C2", cp, p.pid, mid, t4, end, note)
            else:
                self._entitle(x, cp, "C2", cp, p.pid, mid, E, end, note)
        elif cat == "K5d":
            self._entitle(x, cp, "C2", cp, p.pid, mid, E, end,
                          "Cá nhân nhận chăm sóc người cao tuổi tại cộng đồng")
        else:
            self._entitle(x, cp, "C5", cp, p.pid, mid, E, end, "Thành viên hộ gia đình trực tiếp chăm sóc")
        if end is not None:
            self._stop(x, cp, mid, end, end, 0, 30, "Đối tượng được chăm sóc thôi hưởng", program="CSND")
        birth = self._birth(rng, E, age, False)
        cb, precision = self._precision(rng, birth)
        self.person(x, cp.pid, sex, cb, precision, carer_name, eth, hh, village, E, cp.touch)

    def _c3c4(self, x, p, mid, E, end) -> None:
        """A disabled mother raising a child under 36 months (C3, or C4 for two)."""
        rng = x.rng
        hi = min(end or self.last, self.last) - timedelta(days=60)
        if hi < E:
            return
        born = _rdate(rng, E, hi)
        to = add_years(born, 3) - timedelta(days=1)
        to = min(to, end) if end else to
        two = rng.random() < 0.25
        note = f"Nuôi {'hai con' if two else 'con'} dưới 36 tháng tuổi (con sinh ngày {_vn(born)})"
        self._entitle(x, p, "C4" if two else "C3", p, None, mid, born, to if to <= self.last else None, note)

    def _k4_children(self, rng, E, a, b) -> list[tuple[str, date, date | None, date]]:
        """(sex, birth, studying_until, last qualifying day) of a single parent's children."""
        r = rng.random()
        n = 1 + (r < 0.45) + (r < 0.12)
        ages = [min(_rint(rng, 0, 14), a - 17)]
        for _ in range(n - 1):
            nxt = ages[-1] + _rint(rng, 1, 5)
            if a - nxt >= 17:
                ages.append(nxt)
        out = []
        for age in ages:
            cb = min(self._birth(rng, E, age, True), E)
            e16 = month_end(add_years(cb, 16))
            su, q = None, e16
            if rng.random() < 0.5:
                su = date(cb.year + 18, 5, 31) if rng.random() < 0.6 else date(cb.year + 21, 6, 30)
                q = max(e16, min(month_end(su), month_end(add_years(cb, 22))))
            out.append(("nam" if rng.random() < 0.51 else "nu", cb, su, q))
        return sorted(out, key=lambda c: c[1])

    def _write_children(self, x, mid, children, surname, eth, hh, village, E) -> None:
        rng = x.rng
        for sex, cb, su, _ in children:
            cpid = self._id("persons")
            name = full_name(rng, eth, sex, cb.year, x.c.region, surname if rng.random() < 0.7 else None)[0]
            self.rows["membership_children"].append((mid, x.c.code, cpid, name, cb.isoformat(),
                                                     su.isoformat() if su else None))
            self.person(x, cpid, sex, cb, "day", name, eth, hh, village, E)

    def pensioner(self, x: _Place) -> None:
        """Someone 75+ without TCXH who draws the social pension (from 2025-07)."""
        rng = x.rng
        sex = "nu" if rng.random() < 0.6 else "nam"
        age = 75 + min(int(rng.expovariate(0.25)), 20)
        birth = self._birth(rng, self.today, age, False)
        b, precision = self._precision(rng, birth)
        lo = max(HTXH_FROM, add_years(b, 75).replace(day=1))
        village = _pick(rng, x.village_pool)
        eth = _pick(rng, x.ethnic)
        name, surname = full_name(rng, eth, sex, b.year, x.c.region)
        p = _Case(self._id("persons"), x.villages[village][3])
        D = self._death(rng, b, lo) if rng.random() < 0.5 else None
        hh = self.household(x, village, name, lo, None, lo, share=rng.random() < 0.15)
        self._pension(x, p, lo, D)
        self.person(x, p.pid, sex, b, precision, name, eth, hh, village, lo, p.touch, D)


def _sex_age(rng: random.Random, cat: str) -> tuple[str, int]:
    """Sex and age at the start of a membership of this category."""
    r = rng.random()
    if cat in ELDERLY:
        sex = "nu" if r < 0.62 else "nam"
        if cat == "K5c":
            return sex, 80 + min(int(rng.expovariate(0.2)), 20)
        if cat == "K5b":
            return sex, _rint(rng, 75, 79)
        return sex, 60 + min(int(rng.expovariate(0.1 if cat == "K5a" else 0.08)), 35)
    if cat == "K6":
        sex = "nam" if r < 0.55 else "nu"
        r = rng.random()
        if r < 0.12:
            return sex, _rint(rng, 0, 15)
        if r < 0.60:
            return sex, _rint(rng, 16, 59)
        return sex, 60 + min(int(rng.expovariate(1 / 9)), 35)
    if cat == "K4":
        return ("nu" if r < 0.88 else "nam"), _rint(rng, 22, 50)
    if cat == "K8":
        return ("nam" if r < 0.6 else "nu"), _rint(rng, 18, 58)
    sex = "nam" if r < 0.51 else "nu"
    if cat == "K7":
        return sex, _rint(rng, 0, 2)
    return sex, (0 if rng.random() < 0.12 else _rint(rng, 0, 15))


def _second_category(rng: random.Random, cat: str, age: int) -> str | None:
    """The category of a second membership (K4+K6, K5a+K6, K6+K8), if any."""
    r = rng.random()
    if (cat == "K4" and r < 0.10) or (cat == "K5a" and r < 0.20):
        return "K6"
    if cat == "K6" and 18 <= age < 60 and r < 0.03:
        return "K8"
    return None


def _carer_for(rng: random.Random, cat: str, age: int, level: str | None):
    """(sex, age at start, same family) of the carer this beneficiary has, or None."""
    if cat == "K1" and rng.random() < 0.6:
        return ("nu" if rng.random() < 0.7 else "nam"), _rint(rng, 35, 68), rng.random() < 0.8
    if cat == "K5d":
        return ("nu" if rng.random() < 0.75 else "nam"), _rint(rng, 30, 60), rng.random() < 0.5
    if level == "DBN" and rng.random() < 0.7:
        if age < 16:
            carer_age = age + _rint(rng, 20, 35)
        elif age < 60:
            carer_age = min(age + _rint(rng, 20, 30), 80) if age < 40 else age + _rint(rng, -5, 5)
        else:
            carer_age = max(age - _rint(rng, 22, 35), 20)
        return ("nu" if rng.random() < 0.7 else "nam"), carer_age, True
    return None


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------

class _Assembler:
    """Writes generated chunks in plan order: database ids, unique CCCD, decision numbers."""

    def __init__(self, db: sqlite_utils.Database, seed: int):
        self.db, self.seed = db, seed
        self.counts = dict.fromkeys(COLUMNS, 0)
        self.offset = {t: db.execute(f"SELECT max(id) FROM {t}").fetchone()[0] or 0 for t in ID_TABLES}
        self.cccd_seen = {int(r[0]) for r in db.execute("SELECT cccd FROM persons WHERE cccd IS NOT NULL")}
        self.numbers: dict[tuple[str, int], int] = {}

    def add(self, used: dict, rows: dict) -> int:
        """Insert one chunk (inside the caller's transaction); return the persons written."""
        v, h, p, m = (self.offset[t] for t in ID_TABLES)
        number = self._number
        numbers = [number(*r[0]) for r in rows["decisions"]]
        cccd = self._cccd
        out = {
            "villages": [(i + v, *r) for i, *r in rows["villages"]],
            "area_flags": [(c, None if i is None else i + v if i > 0 else -i, *r)
                           for c, i, *r in rows["area_flags"]],
            "households": [(i + h, code, c, vi + v if vi > 0 else -vi, *r)
                           for i, code, c, vi, *r in rows["households"]],
            "household_poverty": [(i + h, *r) for i, *r in rows["household_poverty"]],
            "persons": [(i + p, n, s, b, bp, by, e, cccd(cc, i + p), cm, hh + h, c,
                         vi + v if vi > 0 else -vi, *r)
                        for i, n, s, b, bp, by, e, cc, cm, hh, c, vi, *r in rows["persons"]],
            "memberships": [(i + m, pi + p, *r) for i, pi, *r in rows["memberships"]],
            "membership_children": [(mi + m, c, ci + p, *r) for mi, c, ci, *r in rows["membership_children"]],
            "care_entitlements": [(code, ca + p, None if cd is None else cd + p, *r)
                                  for code, ca, cd, *r in rows["care_entitlements"]],
            "social_pensions": [(pi + p, c, f, t, numbers[d]) for pi, c, f, t, d in rows["social_pensions"]],
            "decisions": [(numbers[k], kind, prog, pi + p, None if mi is None else mi + m, *r)
                          for k, (_, kind, prog, pi, mi, *r) in enumerate(rows["decisions"])],
        }
        executemany = self.db.conn.executemany
        for table in COLUMNS:            # foreign-key order
            if out[table]:
                executemany(INSERT_SQL[table], out[table])
                self.counts[table] += len(out[table])
        for t in ID_TABLES:
            self.offset[t] += used[t]
        return len(out["persons"])

    def _number(self, key: str, year: int, step: int) -> str:
        """'123/QĐ-UBND': numbered per authority and year, in plan order."""
        n = self.numbers.get((key, year))
        if n is None:
            n = random.Random(f"{self.seed}:no:{key}:{year}").randint(15, 300)
        n += step
        self.numbers[(key, year)] = n
        return f"{n}/QĐ-UBND"

    def _cccd(self, number: str | None, pid: int) -> str | None:
        """The number, or (on a clash with an earlier one) the same prefix with another serial."""
        if number is None:
            return None
        key = int(number)
        if key in self.cccd_seen:
            rng = random.Random(f"{self.seed}:cccd:{pid}")
            while key in self.cccd_seen:
                number = f"{number[:6]}{rng.randrange(1_000_000):06d}"
                key = int(number)
        self.cccd_seen.add(key)
        return number


#: Communes per chunk of work (and per transaction).
CHUNK_COMMUNES = 25


def _chunks(ref, seed, today, force, plan, processes: int, size: int):
    """(used ids, rows) per chunk of the plan, in order; generated in `processes` processes."""
    chunks = [plan[i:i + size] for i in range(0, len(plan), size)]
    if processes <= 1 or len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for chunk in chunks:
            yield _Builder(ref, seed, today).chunk(chunk, force)
        return
    # Forked workers take every n-th chunk; a pipe holds at most one finished chunk each.
    # (fork, not a Pool: this module is loaded by path and cannot be pickled by name)
    ctx = multiprocessing.get_context("fork")
    pipes, workers = [], []
    for w in range(processes):
        receive, send = ctx.Pipe(duplex=False)
        worker = ctx.Process(target=_worker, args=(chunks[w::processes], send, ref, seed, today, force),
                             daemon=True)
        worker.start()
        send.close()
        pipes.append(receive)
        workers.append(worker)
    try:
        for i in range(len(chunks)):
            try:
                blob = pipes[i % processes].recv_bytes()
            except EOFError:
                raise RuntimeError("a data generation worker failed (see its error above)") from None
            yield marshal.loads(blob)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()


def _worker(chunks, send, ref, seed, today, force) -> None:
    for chunk in chunks:
        send.send_bytes(marshal.dumps(_Builder(ref, seed, today).chunk(chunk, force)))
    send.close()


def generate(db: sqlite_utils.Database, *, scale: str, seed: int = 1, province: str | None = None,
             progress: Callable[[int], None] | None = None, today: date = date(2026, 11, 1),
             processes: int | None = None, chunk_communes: int = CHUNK_COMMUNES) -> dict:
    """Fill an EMPTY registry (reference data already loaded: provinces, communes, categories...)
    and return counts per table.

    The national scale generates in worker processes (`processes`, default: up to 4, one per
    CPU); the result is the same whatever the number of processes.
    """
    if scale not in SCALES:
        raise ValueError(f"Quy mô không hợp lệ: {scale!r} (chọn một trong {', '.join(SCALES)})")
    _check_ready(db)
    ref = _Ref(db)
    plan = commune_targets(ref, scale, seed, province)
    if processes is None:
        processes = min(os.cpu_count() or 1, 4) if scale == "national" else 1
    assembler = _Assembler(db, seed)
    saved = _bulk_pragmas(db, scale)
    dropped = _drop_secondary_indexes(db) if scale == "national" else []
    try:
        for used, rows in _chunks(ref, seed, today, scale == "commune", plan, processes, chunk_communes):
            with db.atomic():
                written = assembler.add(used, rows)
            if progress is not None and written:
                progress(written)
    finally:
        with db.atomic():
            for sql in dropped:
                db.execute(sql)
        _restore_pragmas(db, saved)
    return dict(assembler.counts)


def _check_ready(db: sqlite_utils.Database) -> None:
    for table in ("persons", "households", "memberships", "decisions"):
        if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            raise ValueError(f"Bảng {table} đã có dữ liệu: chỉ tạo dữ liệu minh hoạ vào sổ trống.")
    have = {r[0] for r in db.execute("SELECT code FROM categories")}
    missing = [c for c in REQUIRED_CODES if c not in have]
    if missing:
        raise ValueError(f"Thiếu danh mục đối tượng {', '.join(missing)}: hãy nạp dữ liệu tham chiếu trước.")


def _bulk_pragmas(db: sqlite_utils.Database, scale: str) -> dict:
    """Faster, less durable settings for the bulk load (a failed demo is simply rebuilt)."""
    saved = {name: db.execute(f"PRAGMA {name}").fetchone()[0]
             for name in ("synchronous", "cache_size", "foreign_keys")}
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA foreign_keys = OFF")     # rows are written parents first
    if scale == "national":
        db.execute("PRAGMA cache_size = -400000")
    return saved


def _restore_pragmas(db: sqlite_utils.Database, saved: dict) -> None:
    for name, value in saved.items():
        db.execute(f"PRAGMA {name} = {int(value)}")


def _drop_secondary_indexes(db: sqlite_utils.Database) -> list[str]:
    """Drop the non-unique indexes of the tables we fill; return the SQL to recreate them."""
    tables = tuple(COLUMNS)
    rows = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({', '.join('?' for _ in tables)}) ORDER BY name", tables).fetchall()
    out = []
    with db.atomic():
        for name, sql in rows:
            if not sql.upper().startswith("CREATE UNIQUE"):
                db.execute(f"DROP INDEX {name}")
                out.append(sql)
    return out
