"""What a published or shared count may say: the small-cell rule and complementary suppression.

One rule for every number that leaves btxh for someone who may not know every person's HIV
status (the public pages, the reports shown to province staff and analysts): a count of 1–4
reads «dưới 5», and when a total is published beside its parts, a second cell is hidden
(«không công bố») so that the small one cannot be recovered by subtraction
(docs/decisions/009-public-pages.md, 010-reports.md). Pure: no SQL, no Datasette.
"""

from __future__ import annotations

MIN_CELL = 5
SMALL = "dưới 5"
HIDDEN = "không công bố"

# Categories that are HIV status (Decree 20 Art. 5(3) and 5(8)): who is in them may be known
# only to the admin and the commune officer of the person's commune (btxh.access.may_know_hiv).
HIV_CATEGORIES = frozenset({"K3", "K8"})


def is_small(n: int) -> bool:
    return 0 < n < MIN_CELL


def cell(n: int) -> str:
    """A published count: "dưới 5" for 1–4, the number otherwise."""
    return SMALL if is_small(n) else str(n)


def suppress(counts: dict[str, int]) -> dict[str, str]:
    """Published cells of a table whose total is also published.

    1–4 reads "dưới 5". When exactly one cell is so suppressed, the total would give it away
    (total − the others), so the smallest other non-zero cell is hidden too ("không công
    bố") — the usual complementary suppression.
    """
    shown = {k: cell(n) for k, n in counts.items()}
    small = [k for k, n in counts.items() if is_small(n)]
    if len(small) == 1:
        others = sorted((n, k) for k, n in counts.items() if n >= MIN_CELL)
        if others:
            shown[others[0][1]] = HIDDEN
    return shown


def complement(hidden: set, parts: dict, total_shown: bool = True) -> set:
    """Keys to hide among ``parts`` (key → count) that add up to a published total, given
    the keys already ``hidden``: when exactly one non-zero part is hidden and the total is
    shown, the smallest other non-zero part is hidden too. Returns the enlarged set."""
    out = set(hidden)
    if not total_shown:
        return out
    gone = [k for k in parts if k in out and parts[k]]
    if len(gone) == 1:
        others = sorted((n, str(k), k) for k, n in parts.items() if k not in out and n)
        if others:
            out.add(others[0][2])
    return out
