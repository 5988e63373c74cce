"""The staff roles and an actor's role: the leaf both ``access`` and ``scoping`` read
(kept apart so that neither imports the other back)."""

from __future__ import annotations

STAFF_ROLES = ("can_bo_xa", "tinh", "phan_tich", "quan_tri")


def role_of(actor: dict | None) -> str | None:
    if not actor:
        return None
    role = actor.get("role")
    return role if role in STAFF_ROLES else None
