"""A served demo for the door's security tests: the commune demo with payroll runs, plus
planted K3/K8 people — two K8 adults and a K3 child in a small commune, one K8 adult and one
K3 child in the big one — paid in 2026-11, each with a grant decision on the public page."""

from __future__ import annotations

from btxh import users
from btxh.payroll import run as payroll
from conftest import PASSWORD, login_all, start_datasette
from sec_plant import demo, plant, village_of

NOW = "2026-11-20T08:00:00Z"
PLANTED = [  # (where, name, sex, birth date, category)
    ("small", "Lò Thị Hoa", "nu", "1981-04-02", "K8"),
    ("small", "Đinh Văn Khải", "nam", "1976-09-15", "K8"),
    ("small", "Lò Văn Nam", "nam", "2016-02-01", "K3"),
    ("small", "Cà Thị Mai", "nu", "1950-01-01", "K6"),
    ("big", "Hà Thị Lan", "nu", "1984-07-07", "K8"),
    ("big", "Hà Văn Bình", "nam", "2017-05-05", "K3"),
]


def build(folder, reference_db_path) -> dict:
    path, db, big, province = demo(folder, reference_db_path)
    small = db.execute("SELECT code FROM communes WHERE province_code = ? AND code <> ? ORDER BY code LIMIT 1",
                       [province, big]).fetchone()[0]
    villages = {}
    for where, code in (("small", small), ("big", big)):
        villages[where] = village_of(db, code)
    planted = {}
    for where, name, sex, birth, category in PLANTED:
        code = small if where == "small" else big
        planted[name] = (plant(db, code, villages[where], name, sex, birth, category, now=NOW,
                                      signed="2026-11-05"), code, category)
    k8 = planted["Lò Thị Hoa"][0]
    # finding 3: a support listing and award whose key is the K8 person's CCCD
    db["support_programs"].insert({"code": "HT2026", "name": "Hỗ trợ Tết 2026", "legal_basis": "Nghị quyết",
                                   "province_code": province, "first_month": "2026-01", "months": 1,
                                   "created_at": NOW, "created_by": "test"})
    db["support_groups"].insert({"program_code": "HT2026", "code": "A", "name": "Nhóm A",
                                 "amount_per_month": 500000, "max_months": 1})
    listing = db["support_listings"].insert({
        "program_code": "HT2026", "group_code": "A", "commune_code": small, "person_id": k8,
        "person_key": "001181000042", "full_name": "Lò Thị Hoa", "birth_year": 1981, "cccd": "001181000042",
        "village": "Bản Mường", "months": 1, "amount_per_month": 500000, "created_at": NOW,
        "created_by": "test"}).last_pk
    db["support_awards"].insert({"program_code": "HT2026", "commune_code": small, "person_key": "001181000042",
                                 "listing_id": listing, "amount": 500000})
    # finding 20: a care note that names the person's illness
    db["care_entitlements"].insert({"code": "C1", "carer_person_id": k8, "cared_person_id": planted["Lò Văn Nam"][0],
                                    "commune_code": small, "valid_from": "2026-01-01",
                                    "note": "Mẹ Lò Thị Hoa điều trị ARV"})
    payroll.close(db, "2026-10", actor="test")
    payroll.run(db, "2026-11", actor="test")
    payroll.close(db, "2026-11", actor="test")
    for name, role in (("d_pt", "phan_tich"), ("d_qt", "quan_tri")):
        users.add_user(db, username=name, role=role, password=PASSWORD)
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "path": path, "province": province, "small": small, "big": big, "planted": planted,
            "cookies": login_all(ds, ["d_pt", "d_qt"])}
