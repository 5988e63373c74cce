"""Registry rows → the pure rules' cases, for a person and a month.

The slow, obviously-correct path: it reads one person's facts and asks ``btxh.rules``.
The payroll uses it where few people are concerned (care support, funeral support) and
the differential test uses it as the oracle for the SQL fast path. The decision semantics
are the fast path's (see fastpath.py's docstring): one implementation in each language,
held identical by that test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..rules import CareEntitlement, Case, Child, Engine, Membership, MonthResult, SocialPension
from ..rules.dates import as_month, month_str, parse_month


@dataclass
class Facts:
    """Everything the rules need about one person, as read from the registry."""

    id: int
    commune_code: str
    province: str
    birth: str
    death: str | None
    death_cause: str | None
    memberships: list[tuple] = field(default_factory=list)  # (id, Membership)
    events: dict = field(default_factory=dict)  # membership id or None -> [(month, kind)]
    pensions: list[SocialPension] = field(default_factory=list)
    care: list[tuple] = field(default_factory=list)  # (entitlement id, code, CareEntitlement)


def paying(events: list[tuple[int, int, bool]], m: int) -> bool:
    """Does the latest decision event at or before m start payment?

    Events are (month, decision id, is_stop); in one month the later decision wins, and a
    decision's own stop beats its own start.
    """
    latest = max((e for e in events if e[0] <= m), default=None)
    return latest is not None and not latest[2]


def _events(rows) -> dict:
    out: dict = {}
    for decision_id, membership_id, kind, start, stop in rows:
        bucket = out.setdefault(membership_id, [])
        if kind in ("grant", "resume", "move", "adjust") and start:
            bucket.append((parse_month(start), decision_id, False))
        if stop and kind in ("grant", "stop", "suspend"):
            bucket.append((parse_month(stop), decision_id, True))
    return out


def load(conn, person_ids) -> dict[int, Facts]:
    """Facts for the given people (any iterable of ids), in one pass per table."""
    ids = sorted(set(person_ids))
    facts: dict[int, Facts] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for pid, commune, province, birth, death, cause in conn.execute(
            f"SELECT p.id, p.commune_code, c.province_code, p.birth_date, p.death_date, p.death_cause"
            f" FROM persons p JOIN communes c ON c.code = p.commune_code WHERE p.id IN ({marks})", part):
            facts[pid] = Facts(pid, commune, province, birth, death, cause)
        children: dict = {}
        for mid, birth, studying in conn.execute(
            f"SELECT ch.membership_id, ch.birth_date, ch.studying_until FROM membership_children ch"
            f" JOIN memberships m ON m.id = ch.membership_id WHERE m.person_id IN ({marks}) ORDER BY ch.id", part):
            children.setdefault(mid, []).append(Child(birth, studying))
        for mid, pid, category, start, end, level in conn.execute(
            f"SELECT id, person_id, category, valid_from, valid_to, disability_level FROM memberships"
            f" WHERE person_id IN ({marks}) ORDER BY id", part):
            facts[pid].memberships.append(
                (mid, Membership(category, start, end, level, tuple(children.get(mid, ())))))
        rows: dict = {}
        for pid, did, mid, kind, start, stop in conn.execute(
            f"SELECT person_id, id, membership_id, kind, start_month, stop_month FROM decisions"
            f" WHERE program = 'TCXH' AND person_id IN ({marks}) ORDER BY id", part):
            rows.setdefault(pid, []).append((did, mid, kind, start, stop))
        for pid, decision_rows in rows.items():
            facts[pid].events = _events(decision_rows)
        for pid, start, end in conn.execute(
            f"SELECT person_id, from_month, to_month FROM social_pensions WHERE person_id IN ({marks})"
            f" ORDER BY id", part):
            facts[pid].pensions.append(SocialPension(start, end))
        for eid, pid, code, start, end, cared_birth, cared_death in conn.execute(
            f"SELECT e.id, e.carer_person_id, e.code, e.valid_from, e.valid_to, c.birth_date, c.death_date"
            f" FROM care_entitlements e LEFT JOIN persons c ON c.id = e.cared_person_id"
            f" WHERE e.carer_person_id IN ({marks}) ORDER BY e.id", part):
            facts[pid].care.append((eid, code, CareEntitlement(
                code, start, end, cared_birth, cared_death, facts[pid].death, str(eid))))
    return facts


def case_for(facts: Facts, month: int | str) -> Case:
    """The case as the rules see it in ``month``: memberships whose decisions pay that month."""
    m = as_month(month)
    general = facts.events.get(None, [])
    memberships = tuple(ms for mid, ms in facts.memberships
                        if paying(facts.events.get(mid, []) + general, m))
    pension = next((p for p in facts.pensions
                    if p.start <= m and (p.end is None or p.end >= m)), None)
    return Case(str(facts.id), facts.birth, memberships, facts.death, facts.death_cause,
                facts.province, None, pension)


def evaluate(engine: Engine, facts: Facts, month: int | str) -> MonthResult:
    return engine.evaluate(case_for(facts, month), month)


def months(first: int | str, last: int | str) -> list[str]:
    return [month_str(m) for m in range(as_month(first), as_month(last) + 1)]
