"""Random registry populations for the payroll differential test (test_payroll_differential.py).

Rows go straight into the registry tables (persons, memberships, membership_children,
decisions, social_pensions, base_levels), every one valid under the schema's CHECKs.
Every date is drawn near a month the test evaluates (``EVAL_MONTHS``): births N years
before it for the ages where categories and bands change, windows and decisions on, just
before or just after it, on the first, the last or the middle day of a month. So the
boundaries the rules care about are hit often instead of by luck.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field

from btxh.rules.dates import birthday_month, month_str, parse_month, parse_partial

NOW = "2026-01-01T00:00:00Z"

# Months every population is evaluated in: the rule set's first month, the base rise
# (2024-07), the social pension (2025-07), the province rows below (2022-03, 2024-10,
# 2025-08, 2025-10), January/February/March (year-only births, 29 February, leap and
# common years) and a few ordinary ones.
EVAL_MONTHS = [
    "2021-07", "2021-08", "2022-01", "2022-02", "2022-03", "2023-02", "2023-03", "2023-12",
    "2024-01", "2024-02", "2024-03", "2024-06", "2024-07", "2024-09", "2024-10", "2025-01",
    "2025-02", "2025-03", "2025-06", "2025-07", "2025-08", "2025-10", "2026-01", "2026-02",
    "2026-03",
]
LAST_MONTH = "2030-12"

# Provinces and communes the population lives in ('01' Hà Nội holds commune 00004).
PROVINCES = ["01", "08", "04", "11"]

# Extra base-level rows (program, jurisdiction, valid_from, amount): higher province rows
# (one mid-month, so in force from the next month; odd amounts so that rounding shows),
# and lower ones that must be ignored.
EXTRA_BASES = [
    ("TCXH", "01", "2022-03-01", 400000),   # > 360000: used 2022-03 .. 2024-06
    ("TCXH", "01", "2024-09-15", 512345),   # > 500000: used from 2024-10
    ("TCXH", "04", "2025-07-02", 500001),   # > 500000 by one đồng: used from 2025-08
    ("TCXH", "08", "2021-09-20", 300000),   # lower than 360000: ignored
    ("TCXH", "08", "2024-08-01", 450000),   # lower than 500000: ignored
    ("HTXH", "01", "2025-10-01", 650000),   # HTXH top-up from 2025-10
    ("HTXH", "04", "2025-01-01", 550000),   # before the pension month: used from 2025-07
    ("HTXH", "08", "2025-08-01", 450000),   # lower: ignored
]

# Ages (in years) that matter per profile: a birth is placed that many years before a
# month near EVAL_MONTHS, so the birthday falls on a boundary.
PROFILE_AGES = {
    "K1": [0, 3, 4, 15, 16], "K2": [16, 21, 22, 23], "K3": [3, 4, 15, 16], "K4": None,
    "K5a": [59, 60, 79, 80], "K5b": [74, 75, 79, 80], "K5c": [79, 80, 85], "K5d": [59, 60, 61],
    "K6DBN": [15, 16, 59, 60, 40], "K6NANG": [15, 16, 59, 60, 30], "K7": [0, 2, 3],
    "K8": [16, 35, 59, 60, 80], "HTXH": [60, 75, 80, 85], "NONE": [3, 16, 60, 80],
    "STEP4": [2, 3, 40, 60, 61],
}
# §6 step 4's ties, by the person's age: a single category equal to a K4 pair (K3 25 =
# K4 10 + K8 15; with fewer K4 partners K5d 30 = K4 10 + K6 NANG 20), and two pairs equal
# to each other (K4 + K6 NANG 15 = K4 + K8 15: the earlier row, K6, is named).
STEP4_COMBOS = {2: ["K3", "K8"], 3: ["K3", "K8"], 40: ["K6NANG", "K8"], 60: ["K5d", "K6NANG"],
                61: ["K5d", "K6NANG"]}
PROFILES = list(PROFILE_AGES)
PARTNERS = ["K5a", "K5b", "K5c", "K5d", "K6", "K8"]
ALL_TCXH = ["K1", "K2", "K3", "K4", "K5a", "K5b", "K5c", "K5d", "K6", "K7", "K8"]
KEY_AGES = (3, 4, 16, 22, 60, 75, 80)

# Also draw decision rows that are valid but unusual (see Generator.decisions_for).
ODD_DECISIONS = True


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def is_leap(year: int) -> bool:
    return calendar.isleap(year)


@dataclass
class Population:
    """What the generator made: ids, and the persons sampled for birthday months."""

    person_ids: list[int] = field(default_factory=list)
    communes: list[str] = field(default_factory=list)
    births: dict[int, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def birthday_months(self, rules, rng: random.Random, persons: int = 14,
                        ages=KEY_AGES, limit: int = 45) -> list[str]:
        """Months of the KEY_AGES birthdays (and the months after and before) of sampled persons.

        Persons whose birth stands for 29 February under ``rules`` are sampled first (their
        birthday month is a rule-set CHOICE); the result is limited to ``limit`` months in
        [rules.first_month, LAST_MONTH].
        """
        resolved = {p: rules.resolve_birth(parse_partial(b)) for p, b in self.births.items()}
        feb29 = [p for p in self.person_ids if (resolved[p].month, resolved[p].day) == (2, 29)]
        others = [p for p in self.person_ids if p not in set(feb29)]
        sample = rng.sample(feb29, min(len(feb29), persons // 2)) + rng.sample(others, persons)
        lo, hi = rules.first_month_index, parse_month(LAST_MONTH)
        found: list[int] = []
        for pid in sample:
            birth = resolved[pid]
            for age in ages:
                m = birthday_month(birth, age, rules.feb29)
                for month in (m, m + 1, m - 1):
                    if lo <= month <= hi and month not in found:
                        found.append(month)
        return [month_str(m) for m in found[:limit]]


class Generator:
    def __init__(self, db, seed: int):
        self.db = db
        self.rng = random.Random(seed)
        self.seed = seed
        self.communes = []
        for province in PROVINCES:
            self.communes += [r[0] for r in db.execute(
                "SELECT code FROM communes WHERE province_code = ? ORDER BY code LIMIT 2", [province])]
        assert "00004" in self.communes
        self.eval_idx = [parse_month(m) for m in EVAL_MONTHS]
        self.rows = {t: [] for t in ("persons", "memberships", "membership_children", "decisions",
                                     "social_pensions")}
        self.ids = {t: 0 for t in self.rows}
        self.counts: dict[str, int] = {}

    # -- small random pieces -------------------------------------------------------------

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def near_month(self) -> int:
        """A month index on, just before or just after an evaluated month."""
        return self.rng.choice(self.eval_idx) + self.rng.choice((-1, 0, 0, 0, 1))

    def day_in(self, m: int, kind: str | None = None) -> str:
        y, mo = divmod(m, 12)
        mo += 1
        kind = kind or self.rng.choice(("first", "first", "last", "last", "mid", "any"))
        last = last_day(y, mo)
        day = {"first": 1, "last": last, "mid": 15}.get(kind) or self.rng.randint(1, last)
        return f"{y:04d}-{mo:02d}-{day:02d}"

    def birth(self, age: int, precision_weights=(70, 15, 15)) -> tuple[str, str, int]:
        """(birth_date, precision, target month): the age-th birthday falls in the target month."""
        rng = self.rng
        target = self.near_month()
        ty, tm = divmod(target, 12)
        tm += 1
        y = ty - age
        kind = rng.choice(("first", "last", "feb29", "mid", "any", "any"))
        if kind == "feb29":
            tm = 2
            while not is_leap(y):
                y -= 1
            day = 29
        elif kind == "first":
            day = 1
        elif kind == "last":
            day = last_day(y, tm)
        elif kind == "mid":
            day = 15
        else:
            day = rng.randint(1, last_day(y, tm))
        precision = rng.choices(("day", "month", "year"), precision_weights)[0]
        if precision == "day":
            text = f"{y:04d}-{tm:02d}-{day:02d}"
        elif precision == "month":
            text = f"{y:04d}-{tm:02d}"
        else:
            text = f"{y:04d}"
        return text, precision, y * 12 + tm - 1 + age * 12

    def window(self) -> tuple[str, str | None]:
        rng = self.rng
        if rng.random() < 0.15:
            start = self.day_in(parse_month("2019-05"))           # older than the rule set
        else:
            start = self.day_in(self.near_month())
        end = None
        if rng.random() < 0.45:
            end = self.day_in(self.near_month())
            if end < start:
                start, end = end, start
        return start, end

    def months_pair(self, p_stop: float) -> tuple[str, str | None]:
        start = self.near_month()
        stop = None
        if self.rng.random() < p_stop:
            stop = start if self.rng.random() < 0.15 else max(start, self.near_month())
        return month_str(start), (month_str(stop) if stop is not None else None)

    # -- rows ----------------------------------------------------------------------------

    def decision(self, pid: int, mid: int | None, commune: str, kind: str, start: str | None,
                 stop: str | None, program: str = "TCXH") -> None:
        did = self._next("decisions")
        self.count(f"decision:{kind}{'' if mid else ':all'}")
        self.rows["decisions"].append({
            "id": did, "number": f"{did}/QĐ-UBND", "kind": kind, "program": program, "person_id": pid,
            "membership_id": mid, "commune_code": commune, "signed_date": "2021-06-15",
            "signer_name": "Nguyễn Văn Ký", "signer_title": "Chủ tịch", "authority_level": "xa",
            "start_month": start, "stop_month": stop, "legal_basis": "Nghị định 20/2021/NĐ-CP",
            "created_at": NOW, "created_by": "test"})

    def decisions_for(self, pid: int, mid: int | None, commune: str) -> None:
        """A random story of TCXH decisions for one membership (or, mid None, the person)."""
        rng = self.rng
        if mid is not None and rng.random() < 0.08:
            return                                                # never decided: never paid
        start, stop = self.months_pair(0.35)
        self.decision(pid, mid, commune, "grant", start, stop)
        if rng.random() < 0.2:                                    # suspend, then maybe resume
            off = self.near_month()
            self.decision(pid, mid, commune, "suspend", None, month_str(off))
            if rng.random() < 0.75:
                on = max(off, self.near_month()) if rng.random() < 0.85 else off
                self.decision(pid, mid, commune, "resume", month_str(on), None)
        if rng.random() < 0.12:
            self.decision(pid, mid, commune, "stop", None, month_str(self.near_month()))
        if rng.random() < 0.10:
            self.decision(pid, mid, commune, "move", month_str(self.near_month()), None)
        if rng.random() < 0.05:
            self.decision(pid, mid, commune, "adjust", month_str(self.near_month()), None)  # a start event
        if rng.random() < 0.03:                                   # another program: no TCXH effect
            self.decision(pid, mid, commune, "grant", month_str(self.near_month()), None, program="HTXH")
        if ODD_DECISIONS and rng.random() < 0.04:
            # rows the schema allows and the semantics define (fastpath.py's docstring): a
            # resume/move's stop_month is not a stop; a grant without start_month still stops
            on, off = self.months_pair(1.0)
            if rng.random() < 0.7:
                self.decision(pid, mid, commune, rng.choice(("resume", "move")), on, off)
            else:
                self.decision(pid, mid, commune, "grant", None, off)

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def membership(self, pid: int, commune: str, category: str, level: str | None = None,
                   children: int = 0) -> int:
        rng = self.rng
        mid = self._next("memberships")
        start, end = self.window()
        if category == "K6":
            level = level or rng.choice(("DBN", "NANG"))
        elif rng.random() < 0.03:
            level = rng.choice(("DBN", "NANG"))                   # stray level: ignored
        self.count(f"membership:{category}{level if category == 'K6' else ''}")
        if rng.random() < 0.1:
            commune = rng.choice(self.communes)                   # recorded where it was granted
        self.rows["memberships"].append({
            "id": mid, "person_id": pid, "commune_code": commune, "category": category,
            "valid_from": start, "valid_to": end, "disability_level": level,
            "hiv_positive": int(category in ("K3", "K8") or rng.random() < 0.02)})
        for _ in range(children):
            self.child(mid, commune)
        self.decisions_for(pid, mid, commune)
        return mid

    def child(self, mid: int, commune: str) -> None:
        rng = self.rng
        birth, precision, target = self.birth(rng.choice((0, 1, 3, 15, 16, 17, 21, 22, 23)), (80, 10, 10))
        studying = None
        r = rng.random()
        if r < 0.55:
            e = rng.choice(self.eval_idx)
            y, mo = divmod(e, 12)
            how = rng.choice(("on", "before", "after", "later", "target"))
            if how == "on":
                studying = f"{y:04d}-{mo + 1:02d}-01"
            elif how == "before":
                py, pmo = divmod(e - 1, 12)
                studying = f"{py:04d}-{pmo + 1:02d}-{last_day(py, pmo + 1):02d}"
            elif how == "after":
                studying = f"{y:04d}-{mo + 1:02d}-02"
            elif how == "later":
                studying = "2030-06-30"
            else:
                studying = self.day_in(target)
        self.count(f"child:{precision}:{'studying' if studying else 'no'}")
        self.rows["membership_children"].append({
            "id": self._next("membership_children"), "membership_id": mid, "commune_code": commune,
            "full_name": "Con", "birth_date": birth, "studying_until": studying})

    def pension(self, pid: int, commune: str) -> None:
        rng = self.rng
        start = rng.choice((parse_month("2024-01"), parse_month("2025-06"), parse_month("2025-07"),
                            self.near_month(), self.near_month()))
        end = None
        if rng.random() < 0.35:
            end = max(start, self.near_month())
        self.count("pension")
        self.rows["social_pensions"].append({
            "id": self._next("social_pensions"), "person_id": pid, "commune_code": commune,
            "from_month": month_str(start), "to_month": month_str(end) if end is not None else None})

    def death(self, birth: str, target: int) -> str | None:
        """A death near the target birthday (on it, the day before or after) or near a boundary."""
        rng = self.rng
        partial = parse_partial(birth)
        resolved = partial.resolve()
        if rng.random() < 0.6:
            y, mo = divmod(target, 12)
            mo += 1
            bday = min(resolved.day if resolved.month == mo else 1, last_day(y, mo))
            if resolved.month == 2 and resolved.day == 29:
                bday = 29 if is_leap(y) else 28
            shift = rng.choice((-1, 0, 0, 1, "last"))
            day = last_day(y, mo) if shift == "last" else min(max(1, bday + shift), last_day(y, mo))
            death = f"{y:04d}-{mo:02d}-{day:02d}"
            self.count("death:birthday-month")
        else:
            death = self.day_in(self.near_month())
            self.count("death:near-boundary")
        if death < birth or dt.date.fromisoformat(death) < resolved:
            return None
        return death

    def person(self) -> tuple[int, str]:
        rng = self.rng
        pid = self._next("persons")
        commune = rng.choice(self.communes)
        profile = rng.choice(PROFILES)
        self.count(f"profile:{profile}")
        ages = PROFILE_AGES[profile]
        if profile == "K4":
            age = rng.choice((rng.randint(22, 55), 60, 75, 80, rng.randint(56, 85)))
        else:
            age = rng.choice(ages)
        birth, precision, target = self.birth(age)
        death = self.death(birth, target) if rng.random() < 0.15 else None
        self.rows["persons"].append({
            "id": pid, "full_name": f"Người {pid}", "sex": rng.choice(("nam", "nu")), "birth_date": birth,
            "birth_precision": precision, "birth_year": int(birth[:4]), "commune_code": commune,
            "death_date": death, "death_cause": rng.choice((None, "khac", "thien_tai")) if death else None,
            "created_at": NOW, "updated_at": NOW})

        if profile.startswith("K6"):
            self.membership(pid, commune, "K6", profile[2:])
        elif profile == "K4":
            self.membership(pid, commune, "K4", children=rng.choice((1, 1, 2, 3, 4)))
            if rng.random() < 0.5:                                    # the single-parent pair
                self.membership(pid, commune, rng.choice(PARTNERS))
            if rng.random() < 0.1:                                    # a second K4 record
                self.membership(pid, commune, "K4", children=rng.choice((0, 1, 2)))
        elif profile == "STEP4":
            self.membership(pid, commune, "K4", children=1)
            for category in STEP4_COMBOS[age]:
                if category.startswith("K6"):
                    self.membership(pid, commune, "K6", category[2:])
                else:
                    self.membership(pid, commune, category)
        elif profile in ("HTXH", "NONE"):
            if profile == "NONE" and rng.random() < 0.5:
                self.membership(pid, commune, rng.choice(ALL_TCXH))   # often out of its ages
        else:
            self.membership(pid, commune, profile)
        extras = {
            "K1": [("K2", 0.3), ("K3", 0.1), ("K6", 0.1), ("K7", 0.1)],
            "K2": [("K1", 0.3)],
            "K3": [("K1", 0.2), ("K8", 0.2)],
            "K5a": [("K5d", 0.2), ("K5c", 0.2), ("K6", 0.1), ("K4", 0.1)],
            "K5b": [("K5c", 0.3), ("K5a", 0.1), ("K4", 0.1)],
            "K5c": [("K5b", 0.2), ("K6", 0.1)],
            "K5d": [("K5a", 0.2), ("K4", 0.1)],
            "K6DBN": [("K8", 0.2), ("K6", 0.15), ("K4", 0.1), ("K5a", 0.1)],
            "K6NANG": [("K8", 0.2), ("K6", 0.15), ("K1", 0.1)],
            "K7": [("K1", 0.2), ("K6", 0.1)],
            "K8": [("K6", 0.2), ("K4", 0.1), ("K3", 0.1)],
        }.get(profile, [])
        for category, p in extras:
            if rng.random() < p:
                self.membership(pid, commune, category, children=rng.choice((1, 2)) if category == "K4" else 0)
        if profile not in ("HTXH", "NONE", "K4", "STEP4") and rng.random() < 0.12:
            # the same category twice (renewed record, or both K6 levels)
            category = "K6" if profile.startswith("K6") else profile
            self.membership(pid, commune, category)
        if rng.random() < 0.15:                                       # decisions for all memberships
            self.decisions_for(pid, None, commune)
        if profile == "HTXH" or rng.random() < 0.2:
            self.pension(pid, commune)
            if rng.random() < 0.1:
                self.pension(pid, commune)                            # overlapping windows
        return pid, birth

    def build(self, n: int) -> Population:
        population = Population(communes=list(self.communes))
        for _ in range(n):
            pid, birth = self.person()
            population.person_ids.append(pid)
            population.births[pid] = birth
        for table, rows in self.rows.items():
            if rows:
                self.db[table].insert_all(rows, batch_size=1000)
        population.counts = dict(sorted(self.counts.items()))
        return population


def add_bases(db) -> None:
    db["base_levels"].insert_all([
        {"program": program, "jurisdiction": j, "valid_from": since, "amount": amount,
         "legal_basis": "Nghị quyết HĐND tỉnh (thử nghiệm)", "added_at": NOW, "added_by": "test"}
        for program, j, since, amount in EXTRA_BASES])


def populate(db, seed: int, n: int) -> Population:
    """Add EXTRA_BASES and ``n`` random persons (with everything they hold) to ``db``."""
    add_bases(db)
    return Generator(db, seed).build(n)
