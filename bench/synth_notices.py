"""Demo notices for the public pages: applications being posted (niêm yết) now, and one
one-off support program in the style of NQ 42/NQ-CP (COVID-19, 2020).

Called by `btxh demo` after bench/synth.py for the commune and province scales. Postings
are placed around ``today`` (the day the demo is built) so that the posting page of a
fresh demo has something to show; everything else follows the seed. All of it is
illustrative ("minh hoạ").
"""

from __future__ import annotations

import datetime as dt
import random

import sqlite_utils

PROGRAM = "NQ42"
PROGRAM_NAME = "Hỗ trợ người dân gặp khó khăn do đại dịch COVID-19 (minh hoạ)"
PROGRAM_BASIS = "Nghị quyết 42/NQ-CP ngày 09/4/2020; Quyết định 15/2020/QĐ-TTg"
# domain.md §9: group, amount per person per month, months
GROUPS = (
    ("BTXH", "Đối tượng bảo trợ xã hội đang hưởng trợ cấp hằng tháng", 500_000, 3),
    ("HN", "Thành viên hộ nghèo, hộ cận nghèo", 250_000, 3),
    ("LD", "Người lao động mất việc làm không đủ điều kiện hưởng trợ cấp thất nghiệp", 1_000_000, 3),
)
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = {"nam": ("Văn", "Đức", "Minh", "Quang"), "nu": ("Thị", "Ngọc", "Thu", "Thanh")}
GIVEN = {"nam": ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Long", "Nam", "Sơn", "Tuấn"),
         "nu": ("Anh", "Hà", "Hằng", "Hoa", "Lan", "Linh", "Mai", "Nga", "Oanh", "Yến")}
CATEGORIES = ("K5c", "K5c", "K6", "K4", "K1", "K8")


def _name(rng: random.Random, sex: str) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def _birth(rng: random.Random, category: str, today: dt.date) -> dt.date:
    lo, hi = {"K5c": (81, 95), "K6": (20, 70), "K4": (22, 45), "K1": (3, 14), "K8": (25, 55)}[category]
    age = rng.randint(lo, hi)
    return dt.date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))


def add_notices(db: sqlite_utils.Database, seed: int, today: dt.date) -> dict:
    """Add the demo postings and program to a demo registry; return counts."""
    rng = random.Random(f"notices-{seed}")
    now = f"{today.isoformat()}T08:00:00Z"
    communes = [r[0] for r in db.execute(
        "SELECT commune_code FROM persons GROUP BY commune_code HAVING count(*) >= 20 ORDER BY commune_code")]
    counts = {"applications": 0, "support_listings": 0, "support_awards": 0}
    with db.atomic():
        for code in communes:
            villages = [r[0] for r in db.execute("SELECT id FROM villages WHERE commune_code = ?", [code])]
            for _ in range(rng.randint(2, 6)):
                category = rng.choice(CATEGORIES)
                sex = "nu" if category == "K4" else rng.choice(("nam", "nu"))
                birth = _birth(rng, category, today)
                submitted = today - dt.timedelta(days=rng.randint(8, 20))
                pid = db["persons"].insert({
                    "full_name": _name(rng, sex), "sex": sex, "birth_date": birth.isoformat(),
                    "birth_precision": "day", "birth_year": birth.year, "commune_code": code,
                    "village_id": rng.choice(villages) if villages else None,
                    "created_at": now, "updated_at": now,
                }).last_pk
                db["applications"].insert({
                    "person_id": pid, "commune_code": code, "category": category,
                    "facts": '{"hiv_positive": 1}' if category == "K8" else "{}",
                    "submitted_date": submitted.isoformat(), "reviewed_date": (today - dt.timedelta(days=1)).isoformat(),
                    "posting_from": (today - dt.timedelta(days=1)).isoformat(),
                    "posting_to": (today + dt.timedelta(days=rng.choice((2, 3, 4)))).isoformat(),
                    "status": "niem_yet", "created_at": now, "created_by": "btxh demo", "updated_at": now,
                })
                counts["applications"] += 1
        _program(db, rng, communes, now, counts)
    return counts


def _program(db, rng, communes, now, counts) -> None:
    db["support_programs"].insert({
        "code": PROGRAM, "name": PROGRAM_NAME, "legal_basis": PROGRAM_BASIS, "province_code": None,
        "first_month": "2020-04", "months": 3, "created_at": now, "created_by": "btxh demo"})
    db["support_groups"].insert_all(
        {"program_code": PROGRAM, "code": c, "name": n, "amount_per_month": a, "max_months": m}
        for c, n, a, m in GROUPS)
    amounts = {c: (a, m) for c, _, a, m in GROUPS}
    for code in communes:
        people = list(db.query(
            "SELECT p.id, p.full_name, p.birth_year, p.cccd, v.name AS village FROM persons p"
            " LEFT JOIN villages v ON v.id = p.village_id"
            " WHERE p.commune_code = ? AND p.birth_year <= 2019 ORDER BY p.id", [code]))
        best: dict[str, tuple[int, int]] = {}
        for p in people:
            if rng.random() > 0.25:
                continue
            groups = ["BTXH"] if rng.random() < 0.6 else ["HN"]
            if rng.random() < 0.15:
                groups.append("LD" if groups[0] == "HN" else "HN")  # listed twice: only the highest
            key = p["cccd"] or f"{p['full_name']}|{p['birth_year']}|{code}"
            for g in groups:
                a, m = amounts[g]
                lid = db["support_listings"].insert({
                    "program_code": PROGRAM, "group_code": g, "commune_code": code, "person_id": p["id"],
                    "person_key": key, "full_name": p["full_name"], "birth_year": p["birth_year"],
                    "cccd": p["cccd"], "village": p["village"], "months": m, "amount_per_month": a,
                    "source_file": "minh-hoa.xlsx", "created_at": now, "created_by": "btxh demo"}).last_pk
                counts["support_listings"] += 1
                if key not in best or a * m > best[key][1]:
                    best[key] = (lid, a * m)
        for key, (lid, amount) in best.items():
            db["support_awards"].insert({"program_code": PROGRAM, "commune_code": code, "person_key": key,
                                         "listing_id": lid, "amount": amount, "paid_date": "2020-05-15"})
            counts["support_awards"] += 1
