"""Which communes a staff member may see: one pure answer for every page that lists people.

A commune officer (``can_bo_xa``) sees the communes of their account; a province officer
(``tinh``) sees their province (and any commune assigned to them); analysts and
administrators see the whole country. Anyone else sees nothing.

Kept free of Datasette and SQL, like btxh.access: the actor is the dict of
``btxh.users.actor_for`` (``role``, ``province``, ``communes``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .access import role_of

NATIONWIDE_ROLES = ("phan_tich", "quan_tri")


@dataclass(frozen=True)
class Scope:
    """The communes an actor may see: everything, or a province and/or a set of communes."""

    everything: bool = False
    province: str | None = None
    communes: tuple[str, ...] = ()

    @property
    def nothing(self) -> bool:
        return not self.everything and self.province is None and not self.communes

    def includes(self, commune_code: str, province_code: str | None) -> bool:
        if self.everything:
            return True
        if commune_code in self.communes:
            return True
        return self.province is not None and province_code == self.province


def scope_of(actor: dict | None) -> Scope:
    role = role_of(actor)
    if role is None:
        return Scope()
    if role in NATIONWIDE_ROLES:
        return Scope(everything=True)
    communes = tuple(sorted(set(actor.get("communes") or ())))
    if role == "tinh":
        return Scope(province=actor.get("province") or None, communes=communes)
    return Scope(communes=communes)  # can_bo_xa: their own communes, never a province


def may_see_commune(actor: dict | None, commune_code: str, province_code: str | None) -> bool:
    """True when ``actor`` may see the people of ``commune_code`` (in ``province_code``)."""
    return scope_of(actor).includes(commune_code, province_code)
