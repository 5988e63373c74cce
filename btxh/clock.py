"""The one place that reads the wall clock (rules never do: they take `as_of`)."""

from __future__ import annotations

import datetime as dt
import os


def now() -> dt.datetime:
    """Current UTC time; BTXH_NOW (ISO) pins it for reproducible demos and tests."""
    pinned = os.environ.get("BTXH_NOW")
    if pinned:
        return dt.datetime.fromisoformat(pinned).replace(tzinfo=dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def now_iso() -> str:
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")


def today() -> dt.date:
    return now().date()
