"""A served demo for the cross-surface test: the commune demo with payroll runs 2026-10 and
2026-11 (closed) and 2026-12 (open), plus planted K3/K8 people in five communes of the demo's
province — HIV counts 7 (the big commune), 1, 2, 3 (where they are the only ones in their fold
group: no K1) and 4 (where K1 and K4 are 0) — each beside a few people of other categories."""

from __future__ import annotations

from btxh import users
from btxh.payroll import run as payroll
from conftest import PASSWORD, login_all, start_datasette
from sec_plant import demo, plant, village_of

NOW = "2026-10-20T08:00:00Z"
# where → [(category, sex, birth date, how many)]
PLANTED = {
    "big": [("K3", "nam", "2016-02-01", 3), ("K8", "nu", "1981-04-02", 4)],
    "one": [("K8", "nam", "1976-09-15", 1), ("K4", "nu", "1990-03-03", 6), ("K1", "nam", "2015-01-01", 5)],
    "two": [("K3", "nu", "2017-05-05", 1), ("K8", "nam", "1984-07-07", 1), ("K1", "nu", "2014-06-06", 5),
            ("K4", "nam", "1988-08-08", 5), ("K5a", "nu", "1950-01-01", 5)],
    "three": [("K3", "nam", "2018-03-03", 3), ("K2", "nu", "2007-01-01", 5), ("K6", "nam", "1970-01-01", 6)],
    "four": [("K3", "nu", "2016-09-09", 2), ("K8", "nu", "1979-02-02", 2), ("K6", "nu", "1960-01-01", 5),
             ("K5a", "nam", "1945-01-01", 6)],
}


def build(folder, reference_db_path) -> dict:
    path, db, big, province = demo(folder, reference_db_path)
    others = [r[0] for r in db.execute("SELECT code FROM communes WHERE province_code = ? AND code <> ?"
                                       " ORDER BY code LIMIT 4", [province, big])]
    communes = dict(zip(("big", "one", "two", "three", "four"), [big, *others]))
    i = 0
    for where, plants in PLANTED.items():
        code = communes[where]
        village = village_of(db, code)
        for category, sex, birth, n in plants:
            for _ in range(n):
                i += 1
                plant(db, code, village, f"Người thử {i}", sex, birth, category, now=NOW, signed="2026-10-05")
    if db.execute("SELECT status FROM payroll_runs WHERE month = '2026-10'").fetchone()[0] != "closed":
        payroll.close(db, "2026-10", actor="test")
    for month, close in (("2026-11", True), ("2026-12", False)):
        payroll.run(db, month, actor="test")
        if close:
            payroll.close(db, month, actor="test")
    users.add_user(db, username="x_pt", role="phan_tich", password=PASSWORD)
    users.add_user(db, username="x_tinh", role="tinh", password=PASSWORD, province=province)
    users.add_user(db, username="x_qt", role="quan_tri", password=PASSWORD)
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "path": path, "province": province, "communes": communes,
            "cookies": login_all(ds, ["x_pt", "x_tinh", "x_qt"])}
