#!/usr/bin/env python3
"""Derive btxh's administrative-unit reference tables from the data files
shipped with the PyPI package ``vietnamadminunits`` (MIT).

The package's *code* is never imported or executed (it pulls in geocoding
dependencies that can hit the network).  We only read two of its data files:

* ``dataset.db``          -- SQLite, tables ``admin_units`` (2025, 34 provinces)
                             and ``admin_units_legacy`` (pre-2025, 63 provinces)
* ``converter_2025.json`` -- old-key -> new-key dictionaries

and write plain UTF-8 CSV files into ``btxh/data/admin_units/``.

Usage::

    python tools/derive_admin_units.py [PACKAGE_DATA_DIR] [--check]

PACKAGE_DATA_DIR defaults to ``<vietnamadminunits package dir>/data``, located
with ``importlib.util.find_spec`` (which finds but does not import a top-level
package).  ``--check`` regenerates in memory and exits non-zero if the
committed CSV files differ (useful in CI).

Every invariant listed in PROVENANCE.md is asserted; on any failure the script
prints every failed invariant, writes nothing, and exits with status 1.
Output is deterministic: rows are sorted by code, no timestamps are written.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import io
import json
import re
import sqlite3
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "btxh" / "data" / "admin_units"
PACKAGE = "vietnamadminunits"

# Expected sizes for vietnamadminunits 1.0.4.  If a newer package version
# legitimately changes them, update these constants *and* PROVENANCE.md.
EXPECTED = {
    "provinces_2025": 34,
    "communes_2025": 3321,
    "provinces_legacy": 63,
    "districts_legacy": 696,
    "communes_legacy": 10035,
}

# Unit types, longest first so that prefix matching is unambiguous.
PROVINCE_TYPES = ("Thành phố", "Tỉnh")
COMMUNE_TYPES_2025 = ("Đặc khu", "Phường", "Xã")
DISTRICT_TYPES_LEGACY = ("Thành phố", "Thị xã", "Huyện", "Quận")
COMMUNE_TYPES_LEGACY = ("Thị trấn", "Phường", "Xã")

# Well-known successions (legal facts) used as a smoke test of the derivation.
SPOT_CHECK_COMMUNES = {
    # legacy commune code -> expected primary 2025 commune code
    # Phường Phúc Xá (Q. Ba Đình) went wholly to Phường Hồng Hà, not to Phường
    # Ba Đình (Hà Nội HĐND Resolution 19/NQ-HĐND of 2025, art. 1 cl. 14).
    "00001": "00097",
    "00004": "00004",  # Phường Trúc Bạch -> Phường Ba Đình (keeps code 00004)
}
SPOT_CHECK_PROVINCES = {
    "02": "08",  # Hà Giang -> Tuyên Quang
    "30": "31",  # Hải Dương -> Hải Phòng
    "49": "48",  # Quảng Nam -> Đà Nẵng
    "01": "01",  # Hà Nội (unchanged)
    "74": "79",  # Bình Dương -> Hồ Chí Minh
    "77": "79",  # Bà Rịa - Vũng Tàu -> Hồ Chí Minh
}


class InvariantError(Exception):
    pass


# --------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------

def nfc(value: str | None) -> str:
    """NFC-normalise, trim and collapse internal whitespace."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def fold(value: str) -> str:
    """Lower-case ASCII folding used only for *matching* keys, never output."""
    decomposed = unicodedata.normalize("NFD", nfc(value).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9_]", "", stripped.replace("đ", "d"))


def pad(code, width: int) -> str:
    """Zero-pad a numeric code kept as a string ('1' / 1 / '01' -> '01')."""
    if code is None:
        return ""
    text = str(code).strip()
    if text.endswith(".0"):  # defensive: codes that went through a float
        text = text[:-2]
    return text.zfill(width) if text.isdigit() else text


def split_type(name: str, declared_type: str | None, allowed: tuple[str, ...],
               what: str, corrections: list) -> tuple[str, str, str]:
    """Return (canonical_name, type, rest) from a full unit name.

    The official name embeds the unit type as a prefix ("Phường Ba Đình").
    The source's separate *Type column is wrong for a few rows and the
    prefix is mis-capitalised for a few others ("Thị Trấn", "Thành Phố"), so the
    type is taken from the name prefix (case-insensitively) and the name is
    rebuilt with the canonical spelling of the type.
    """
    name = nfc(name)
    for unit_type in allowed:
        if name.lower().startswith(unit_type.lower() + " "):
            rest = name[len(unit_type) + 1:].strip()
            canonical = f"{unit_type} {rest}"
            if canonical != name:
                corrections.append(f"{what}: name {name!r} -> {canonical!r}")
            if declared_type is not None and nfc(declared_type) != unit_type:
                corrections.append(
                    f"{what}: type column {declared_type!r} contradicts name "
                    f"{name!r}; using {unit_type!r}")
            return canonical, unit_type, rest
    raise InvariantError(f"{what}: name {name!r} does not start with one of {allowed}")


def short_of(rest: str, full: str) -> str:
    """Short name: the name without its type prefix, except for numbered units
    ("Phường 1", "Quận 3") whose bare number is meaningless on its own."""
    return full if rest.isdigit() else rest


def strip_disambiguator(short: str | None) -> str:
    """The package suffixes duplicate short names with '(Xã)', '(Huyện)'..."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", nfc(short))


# --------------------------------------------------------------------------
# Locating and reading the source
# --------------------------------------------------------------------------

def default_data_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)  # finds; does not import
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"error: package {PACKAGE!r} not found; install it in the active "
            "environment or pass the path of its data directory")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def package_metadata(data_dir: Path) -> dict:
    """Read name/version/licence holder from the dist-info next to the package
    (plain file reads)."""
    site = data_dir.parent.parent
    info = {"version": "unknown", "license": "unknown", "copyright": "unknown"}
    for dist in sorted(site.glob(f"{PACKAGE}-*.dist-info")):
        meta = (dist / "METADATA")
        if meta.is_file():
            for line in meta.read_text(encoding="utf-8").splitlines():
                if line.startswith("Version:"):
                    info["version"] = line.split(":", 1)[1].strip()
                if line.startswith("Classifier: License ::"):
                    info["license"] = line.split("::")[-1].strip()
        for lic in sorted(dist.rglob("LICENSE*")):
            for line in lic.read_text(encoding="utf-8").splitlines():
                if line.strip().lower().startswith("copyright"):
                    info["copyright"] = line.strip()
                    break
    return info


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_db(path: Path) -> tuple[list[dict], list[dict]]:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        new = [dict(r) for r in conn.execute("SELECT * FROM admin_units")]
        old = [dict(r) for r in conn.execute("SELECT * FROM admin_units_legacy")]
    finally:
        conn.close()
    return new, old


# --------------------------------------------------------------------------
# Key resolution with counted fallbacks
# --------------------------------------------------------------------------

class KeyIndex:
    """Resolve a source key to a code: exact key, then NFC-normalised key, then
    ASCII-folded key (only if unambiguous), then extra keywords (aliases,
    only if unambiguous)."""

    def __init__(self, label: str):
        self.label = label
        self.exact: dict[str, str] = {}
        self.norm: dict[str, set] = defaultdict(set)
        self.folded: dict[str, set] = defaultdict(set)
        self.keywords: dict[str, set] = defaultdict(set)
        self.stats: Counter = Counter()

    def add(self, key: str, value: str, keywords=()):
        if key in self.exact and self.exact[key] != value:
            raise InvariantError(f"{self.label}: key {key!r} maps to both "
                                 f"{self.exact[key]!r} and {value!r}")
        self.exact[key] = value
        self.norm[nfc(key)].add(value)
        self.folded[fold(key)].add(value)
        for kw in keywords:
            self.keywords[fold(kw)].add(value)

    def resolve(self, key: str):
        if key in self.exact:
            self.stats["exact"] += 1
            return self.exact[key]
        for method, table, probe in (("nfc", self.norm, nfc(key)),
                                     ("ascii_fold", self.folded, fold(key)),
                                     ("keyword", self.keywords, fold(key))):
            hits = table.get(probe, set())
            if len(hits) == 1:
                self.stats[method] += 1
                return next(iter(hits))
        self.stats["unresolved"] += 1
        return None


def json_list(text) -> list:
    if not text:
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


# --------------------------------------------------------------------------
# Derivation
# --------------------------------------------------------------------------

def derive(data_dir: Path) -> tuple[dict, dict]:
    db_path = data_dir / "dataset.db"
    conv_path = data_dir / "converter_2025.json"
    for p in (db_path, conv_path):
        if not p.is_file():
            raise SystemExit(f"error: source file not found: {p}")
    new_rows, old_rows = read_db(db_path)
    converter = json.loads(conv_path.read_text(encoding="utf-8"))

    failures: list[str] = []
    corrections: list[str] = []
    notes: dict = {}

    def check(cond: bool, message: str):
        if not cond:
            failures.append(message)

    # ---------------- 2025 units ----------------
    provinces_2025: dict[str, dict] = {}
    communes_2025: dict[str, dict] = {}
    new_prov_index = KeyIndex("2025 province key")
    new_ward_index: dict[str, KeyIndex] = {}  # per province code
    for r in new_rows:
        pcode = pad(r["provinceCode"], 2)
        # The source has no provinceType column: the type comes from the name.
        pname, ptype, prest = split_type(r["province"], None, PROVINCE_TYPES,
                                         f"province {pcode}", corrections)
        prov = {"code": pcode, "name": pname, "short_name": short_of(prest, pname),
                "type": ptype}
        if pcode in provinces_2025:
            check(provinces_2025[pcode] == prov,
                  f"provinces_2025: inconsistent rows for code {pcode}")
        else:
            provinces_2025[pcode] = prov
            new_prov_index.add(r["provinceKey"], pcode,
                               json_list(r.get("provinceKeywords")))
        code = pad(r["wardCode"], 5)
        name, ctype, rest = split_type(r["ward"], r["wardType"], COMMUNE_TYPES_2025,
                                       f"2025 commune {code}", corrections)
        check(code not in communes_2025, f"communes_2025: duplicate code {code}")
        communes_2025[code] = {"code": code, "province_code": pcode, "name": name,
                               "short_name": short_of(rest, name), "type": ctype}
        if strip_disambiguator(r["wardShort"]) != communes_2025[code]["short_name"] \
                and not rest.isdigit():
            corrections.append(f"2025 commune {code}: source short name "
                               f"{r['wardShort']!r} differs from derived")
        idx = new_ward_index.setdefault(pcode, KeyIndex(f"2025 ward key in {pcode}"))
        idx.add(r["wardKey"], code,
                json_list(r.get("wardKeywords")) + json_list(r.get("wardAlias")))

    # ---------------- legacy units ----------------
    provinces_legacy: dict[str, dict] = {}
    districts_legacy: dict[str, dict] = {}
    communes_legacy: dict[str, dict] = {}
    communeless_districts: dict[str, str] = {}  # composite key -> district code
    old_index = KeyIndex("legacy composite key")
    old_prov_index = KeyIndex("legacy province key")
    district_of: dict[str, str] = {}
    province_of: dict[str, str] = {}
    for r in old_rows:
        pcode = pad(r["provinceCode"], 2)
        dcode = pad(r["districtCode"], 3)
        pname, ptype, prest = split_type(r["province"], None, PROVINCE_TYPES,
                                         f"legacy province {pcode}", corrections)
        prov = {"code": pcode, "name": pname, "short_name": short_of(prest, pname),
                "type": ptype}
        if pcode in provinces_legacy:
            check(provinces_legacy[pcode] == prov,
                  f"provinces_legacy: inconsistent rows for code {pcode}")
        else:
            provinces_legacy[pcode] = prov
            old_prov_index.add(r["provinceKey"], pcode)
        if dcode not in districts_legacy:
            dname, dtype, drest = split_type(r["district"], r["districtType"],
                                             DISTRICT_TYPES_LEGACY,
                                             f"legacy district {dcode}", corrections)
            districts_legacy[dcode] = {"code": dcode, "province_code": pcode,
                                       "name": dname,
                                       "short_name": short_of(drest, dname),
                                       "type": dtype}
        else:
            check(districts_legacy[dcode]["province_code"] == pcode,
                  f"districts_legacy: district {dcode} in two provinces")
        composite = f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}"
        code = pad(r["wardCode"], 5)
        if not code:
            # A district without any commune (island districts).  It stays in
            # districts_legacy but has no row in communes_legacy.
            check(not r["ward"], f"legacy row with a ward name but no code: {r['ward']!r}")
            communeless_districts[composite] = dcode
            continue
        name, ctype, rest = split_type(r["ward"], r["wardType"], COMMUNE_TYPES_LEGACY,
                                       f"legacy commune {code}", corrections)
        check(code not in communes_legacy, f"communes_legacy: duplicate code {code}")
        communes_legacy[code] = {"code": code, "district_code": dcode,
                                 "province_code": pcode, "name": name,
                                 "short_name": short_of(rest, name), "type": ctype}
        if strip_disambiguator(r["wardShort"]) != communes_legacy[code]["short_name"] \
                and not rest.isdigit():
            corrections.append(f"legacy commune {code}: source short name "
                               f"{r['wardShort']!r} differs from derived")
        district_of[code] = dcode
        province_of[code] = pcode
        old_index.add(composite, code)

    # ---------------- province succession ----------------
    province_succession: dict[str, str] = {}
    for new_key, old_keys in sorted(converter["DICT_PROVINCE"].items()):
        new_code = new_prov_index.resolve(new_key)
        check(new_code is not None, f"DICT_PROVINCE: unknown 2025 province key {new_key!r}")
        for old_key in old_keys:
            old_code = old_prov_index.resolve(old_key)
            check(old_code is not None,
                  f"DICT_PROVINCE: unknown legacy province key {old_key!r}")
            if old_code is None or new_code is None:
                continue
            check(province_succession.get(old_code, new_code) == new_code,
                  f"province_succession: legacy {old_code} maps to two provinces")
            province_succession[old_code] = new_code

    # ---------------- commune succession ----------------
    edges: dict[str, dict[str, int]] = defaultdict(dict)  # legacy -> {new: primary}
    source_of: dict[str, str] = {}
    island_map: dict[str, set] = defaultdict(set)  # legacy district -> 2025 communes
    stats = Counter()

    def resolve_new_province(new_pkey):
        code = new_prov_index.resolve(new_pkey)
        check(code is not None, f"converter: unknown 2025 province key {new_pkey!r}")
        return code

    def resolve_new_ward(pcode, new_wkey):
        code = new_ward_index[pcode].resolve(new_wkey) if pcode in new_ward_index else None
        check(code is not None,
              f"converter: 2025 ward key {new_wkey!r} not found in province {pcode}")
        return code

    def resolve_old(old_key):
        """-> ('commune', code) | ('district', dcode) | (None, None)"""
        if old_key in communeless_districts:
            return "district", communeless_districts[old_key]
        code = old_index.resolve(old_key)
        if code is not None:
            return "commune", code
        stats["converter_old_key_unmatched"] += 1
        return None, None

    # 1. Undivided old communes: exactly one successor, which is primary.
    for new_pkey, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        pcode = resolve_new_province(new_pkey)
        for new_wkey, old_keys in wards.items():
            new_code = resolve_new_ward(pcode, new_wkey) if pcode else None
            if new_code is None:
                continue
            for old_key in old_keys:
                kind, old_code = resolve_old(old_key)
                if kind == "district":
                    island_map[old_code].add(new_code)
                    continue
                if kind is None:
                    continue
                if old_code in edges:
                    # The package's converter takes the first match; so do we.
                    stats["converter_duplicate_ignored"] += 1
                    continue
                edges[old_code][new_code] = 1
                source_of[old_code] = "converter_undivided"

    # 2. Divided old communes: several successors, isDefaultNewWard = primary.
    for new_pkey, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        pcode = resolve_new_province(new_pkey)
        for old_key, parts in olds.items():
            kind, old_code = resolve_old(old_key)
            if kind is None:
                continue
            targets = []
            for part in parts:
                new_code = resolve_new_ward(pcode, part["newWardKey"]) if pcode else None
                if new_code is not None:
                    targets.append((new_code, bool(part.get("isDefaultNewWard"))))
            if kind == "district":
                island_map[old_code].update(t for t, _ in targets)
                continue
            if old_code in edges:
                # The package's converter consults the undivided table first.
                stats["converter_duplicate_ignored"] += 1
                continue
            defaults = sorted({t for t, d in targets if d})
            if len(defaults) != 1:
                # Fallback: lowest code among the successors.
                stats["divided_default_missing_or_ambiguous"] += 1
                defaults = sorted({t for t, _ in targets})[:1]
            for new_code, _ in targets:
                edges[old_code][new_code] = 1 if new_code == defaults[0] else 0
            source_of[old_code] = "converter_divided"

    # 3. Fallbacks for legacy communes the converter does not cover.
    unmapped = sorted(set(communes_legacy) - set(edges))
    # 3a. Same code in the successor province (Decision 19/2025 gives each new
    #     commune the code of one of its predecessors).
    for old_code in unmapped:
        target_prov = province_succession.get(province_of[old_code])
        cand = communes_2025.get(old_code)
        if cand and cand["province_code"] == target_prov:
            edges[old_code][old_code] = 1
            source_of[old_code] = "fallback_same_code"
    # 3b. The 2025 commune receiving most of the same legacy district's communes.
    by_district: dict[str, Counter] = defaultdict(Counter)
    for old_code, targets in edges.items():
        for new_code, primary in targets.items():
            if primary:
                by_district[district_of[old_code]][new_code] += 1
    for old_code in unmapped:
        if old_code in edges:
            continue
        counts = by_district.get(district_of[old_code])
        if counts:
            best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            edges[old_code][best] = 1
            source_of[old_code] = "fallback_district_majority"
    fallback_counts = Counter(source_of.values())
    # Fallback rows are heuristics, not law: list them for manual review.
    notes["fallback_rows"] = sorted(
        (o, src, next((n for n, p in edges[o].items() if p), ""))
        for o, src in source_of.items() if src.startswith("fallback"))
    for key in ("converter_undivided", "converter_divided", "fallback_same_code",
                "fallback_district_majority"):
        fallback_counts.setdefault(key, 0)

    # ---------------- invariants ----------------
    for table, rows in (("provinces_2025", provinces_2025),
                        ("communes_2025", communes_2025),
                        ("provinces_legacy", provinces_legacy),
                        ("districts_legacy", districts_legacy),
                        ("communes_legacy", communes_legacy)):
        check(len(rows) == EXPECTED[table],
              f"{table}: expected {EXPECTED[table]} rows, got {len(rows)}")
        width = 2 if table.startswith("provinces") else 3 if table.startswith("districts") else 5
        for code, row in rows.items():
            check(re.fullmatch(rf"\d{{{width}}}", code) is not None,
                  f"{table}: code {code!r} is not {width} digits")
            for field in ("name", "short_name", "type"):
                value = row[field]
                check(bool(value) and value == nfc(value),
                      f"{table} {code}: {field} {value!r} empty or not NFC/trimmed")
    allowed_types = {"provinces_2025": PROVINCE_TYPES, "provinces_legacy": PROVINCE_TYPES,
                     "communes_2025": COMMUNE_TYPES_2025,
                     "districts_legacy": DISTRICT_TYPES_LEGACY,
                     "communes_legacy": COMMUNE_TYPES_LEGACY}
    for table, rows in (("provinces_2025", provinces_2025),
                        ("communes_2025", communes_2025),
                        ("provinces_legacy", provinces_legacy),
                        ("districts_legacy", districts_legacy),
                        ("communes_legacy", communes_legacy)):
        for code, row in rows.items():
            check(row["type"] in allowed_types[table],
                  f"{table} {code}: type {row['type']!r} not allowed")
    for code, row in communes_2025.items():
        check(row["province_code"] in provinces_2025,
              f"communes_2025 {code}: unknown province {row['province_code']}")
    for code, row in districts_legacy.items():
        check(row["province_code"] in provinces_legacy,
              f"districts_legacy {code}: unknown province {row['province_code']}")
    for code, row in communes_legacy.items():
        check(row["district_code"] in districts_legacy
              and districts_legacy[row["district_code"]]["province_code"] == row["province_code"],
              f"communes_legacy {code}: district/province inconsistent")

    check(set(province_succession) == set(provinces_legacy),
          "province_succession: legacy provinces without a successor: "
          f"{sorted(set(provinces_legacy) - set(province_succession))}")
    check(set(province_succession.values()) == set(provinces_2025),
          "province_succession: 2025 provinces without a predecessor: "
          f"{sorted(set(provinces_2025) - set(province_succession.values()))}")

    missing = sorted(set(communes_legacy) - set(edges))
    check(not missing, f"commune_succession: {len(missing)} legacy communes unmapped: "
                       f"{missing[:20]}")
    for old_code, targets in edges.items():
        check(old_code in communes_legacy,
              f"commune_succession: unknown legacy commune {old_code}")
        check(sum(targets.values()) == 1,
              f"commune_succession: legacy {old_code} has {sum(targets.values())} primaries")
        for new_code in targets:
            check(new_code in communes_2025,
                  f"commune_succession: unknown 2025 commune {new_code}")
            if new_code in communes_2025 and old_code in communes_legacy:
                check(communes_2025[new_code]["province_code"]
                      == province_succession.get(province_of[old_code]),
                      f"commune_succession: {old_code}->{new_code} crosses the "
                      "province succession")
    for dcode, targets in island_map.items():
        for new_code in targets:
            check(communes_2025[new_code]["province_code"]
                  == province_succession.get(districts_legacy[dcode]["province_code"]),
                  f"commune-less district {dcode}->{new_code} crosses provinces")
    reached = {n for t in edges.values() for n in t} | {n for t in island_map.values() for n in t}
    orphans = sorted(set(communes_2025) - reached)
    check(not orphans, f"communes_2025 without any predecessor: {orphans[:20]}")

    for old_code, new_code in SPOT_CHECK_COMMUNES.items():
        primary = [n for n, p in edges.get(old_code, {}).items() if p]
        check(primary == [new_code],
              f"spot check: legacy commune {old_code} should map to {new_code}, got {primary}")
    for old_code, new_code in SPOT_CHECK_PROVINCES.items():
        check(province_succession.get(old_code) == new_code,
              f"spot check: legacy province {old_code} should map to {new_code}, "
              f"got {province_succession.get(old_code)}")

    for label, idx in [("legacy composite keys", old_index),
                       ("legacy province keys", old_prov_index),
                       ("2025 province keys", new_prov_index)] + \
            [("2025 ward keys", i) for _, i in sorted(new_ward_index.items())]:
        for method, n in idx.stats.items():
            stats[f"{label}: {method}"] += n

    if failures:
        raise InvariantError("\n".join(dict.fromkeys(failures)))  # dedupe, keep order

    # ---------------- tables ----------------
    tables = {
        "provinces_2025.csv": (["code", "name", "short_name", "type"],
                               [provinces_2025[k] for k in sorted(provinces_2025)]),
        "communes_2025.csv": (["code", "province_code", "name", "short_name", "type"],
                              [communes_2025[k] for k in sorted(communes_2025)]),
        "provinces_legacy.csv": (["code", "name", "short_name", "type"],
                                 [provinces_legacy[k] for k in sorted(provinces_legacy)]),
        "districts_legacy.csv": (["code", "province_code", "name", "short_name", "type"],
                                 [districts_legacy[k] for k in sorted(districts_legacy)]),
        "communes_legacy.csv": (["code", "district_code", "province_code", "name",
                                 "short_name", "type"],
                                [communes_legacy[k] for k in sorted(communes_legacy)]),
        "commune_succession.csv": (
            ["legacy_commune_code", "commune_code", "is_primary"],
            [{"legacy_commune_code": o, "commune_code": n, "is_primary": edges[o][n]}
             for o in sorted(edges) for n in sorted(edges[o])]),
        "province_succession.csv": (
            ["legacy_province_code", "province_code"],
            [{"legacy_province_code": o, "province_code": province_succession[o]}
             for o in sorted(province_succession)]),
    }

    # Facts for the summary / PROVENANCE.md.
    primary_of = {o: next(n for n, p in t.items() if p) for o, t in edges.items()}
    notes["fallback_counts"] = dict(sorted(fallback_counts.items()))
    notes["key_resolution"] = dict(sorted(stats.items()))
    notes["corrections"] = corrections
    notes["communeless_districts"] = {
        d: sorted(island_map.get(d, ())) for d in sorted(set(communeless_districts.values()))}
    notes["divided_legacy_communes"] = sum(1 for t in edges.values() if len(t) > 1)
    notes["succession_rows"] = sum(len(t) for t in edges.values())
    notes["new_code_equals_a_predecessor_code"] = sum(
        1 for n in communes_2025 if n in edges.get(n, {}))
    notes["legacy_code_reused_by_other_territory"] = sorted(
        o for o in communes_legacy if o in communes_2025 and primary_of.get(o) != o)
    notes["legacy_code_reused_by_other_territory_any_edge"] = sorted(
        o for o in communes_legacy if o in communes_2025 and o not in edges.get(o, {}))
    return tables, notes


def render(header: list[str], rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[h] for h in header])
    return buf.getvalue().encode("utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path,
                        help="vietnamadminunits data directory (default: located "
                             "via importlib.util.find_spec)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if committed files are stale")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    data_dir = args.data_dir or default_data_dir()
    meta = package_metadata(data_dir)
    print(f"source: {PACKAGE} {meta['version']} ({meta['license']}; {meta['copyright']})")
    for name in ("dataset.db", "converter_2025.json"):
        path = data_dir / name
        if path.is_file():
            print(f"  {name}: sha256 {sha256(path)}")
    try:
        tables, notes = derive(data_dir)
    except InvariantError as exc:
        print("INVARIANT FAILED:\n  " + str(exc).replace("\n", "\n  "), file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 1

    rendered = {name: render(*spec) for name, spec in tables.items()}
    if args.check:
        stale = [n for n, data in rendered.items()
                 if not (args.out / n).is_file() or (args.out / n).read_bytes() != data]
        if stale:
            print(f"STALE: {', '.join(stale)} differ from a fresh derivation", file=sys.stderr)
            return 1
        print("all files up to date")
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, data in rendered.items():
            (args.out / name).write_bytes(data)

    for name, (_, rows) in tables.items():
        print(f"  {name}: {len(rows)} rows")
    print("commune succession sources:")
    for key, n in notes["fallback_counts"].items():
        print(f"  {key}: {n}")
    for old_code, src, new_code in notes["fallback_rows"]:
        print(f"  REVIEW: legacy {old_code} -> {new_code} via {src} "
              "(heuristic; confirm against the UBTVQH resolution)")
    print(f"divided legacy communes (>1 successor): {notes['divided_legacy_communes']}")
    print("key resolution:")
    for key, n in notes["key_resolution"].items():
        print(f"  {key}: {n}")
    print("legacy districts without communes (not in communes_legacy) -> 2025 commune:")
    for dcode, targets in notes["communeless_districts"].items():
        print(f"  {dcode} -> {', '.join(targets) or '(none)'}")
    print(f"2025 communes whose code equals one of their predecessors' codes: "
          f"{notes['new_code_equals_a_predecessor_code']}")
    print(f"legacy codes reused by a 2025 commune that is NOT the legacy commune's "
          f"primary successor: {len(notes['legacy_code_reused_by_other_territory'])} "
          f"(not a successor at all: "
          f"{len(notes['legacy_code_reused_by_other_territory_any_edge'])})")
    print(f"source corrections applied: {len(notes['corrections'])}")
    for line in notes["corrections"]:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
