"""Planting people of a chosen category into a demo, for the HIV-inference tests."""

from __future__ import annotations

import shutil

from btxh import cli, store


def demo(folder, reference_db_path):
    """The commune demo paid through 2026-10: (path, open db, biggest commune, its province)."""
    path = folder / "btxh.db"
    shutil.copy(reference_db_path, path)
    cli.build_demo(str(path), scale="commune", seed=1, province=None, force=False, echo=lambda *_: None,
                   payroll_until="2026-10")
    db = store.open_db(path)
    big, province = db.execute(
        "SELECT p.commune_code, c.province_code FROM persons p JOIN communes c ON c.code = p.commune_code"
        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchone()
    return path, db, big, province


def village_of(db, commune: str) -> int:
    """A village of the commune (one is made when the demo left the commune empty)."""
    found = db.execute("SELECT id FROM villages WHERE commune_code = ? LIMIT 1", [commune]).fetchone()
    return found[0] if found else db["villages"].insert(
        {"commune_code": commune, "name": "Bản Mường", "kind": "Bản", "valid_from": "2025-07-01"}).last_pk


def plant(db, commune: str, village: int, name: str, sex: str, birth: str, category: str, *,
          now: str, signed: str) -> int:
    """A person of ``category`` from 2026-01 with a grant decision signed on ``signed``."""
    pid = db["persons"].insert({"full_name": name, "sex": sex, "birth_date": birth, "birth_precision": "day",
                                "birth_year": int(birth[:4]), "commune_code": commune, "village_id": village,
                                "created_at": now, "updated_at": now}).last_pk
    mid = db["memberships"].insert({"person_id": pid, "commune_code": commune, "category": category,
                                    "valid_from": "2026-01-01", "hiv_positive": int(category in ("K3", "K8")),
                                    "disability_level": "NANG" if category == "K6" else None}).last_pk
    db["decisions"].insert({"number": f"{pid}/QĐ-UBND", "kind": "grant", "program": "TCXH", "person_id": pid,
                            "membership_id": mid, "commune_code": commune, "signed_date": signed,
                            "signer_name": "Nguyễn Văn Chủ", "signer_title": "Chủ tịch", "authority_level": "xa",
                            "start_month": "2026-11", "amount": 750000, "legal_basis": "Nghị định 20/2021/NĐ-CP",
                            "created_at": now, "created_by": "test"})
    return pid
