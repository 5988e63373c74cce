"""Shared fixtures: real SQLite files built from migrations, a real Datasette instance."""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
from pathlib import Path

import pytest

from btxh import migrations, reference, serving, store, users

PASSWORD = "matkhau-thu-nghiem"
SECRET = "test-secret-not-for-production"


def digest(path: Path) -> str:
    """Bytes of a database and its WAL, so 'unchanged' means unchanged."""
    h = hashlib.sha256()
    for p in (Path(path), Path(str(path) + "-wal")):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="session")
def reference_db_path(tmp_path_factory) -> Path:
    """A database with the schema and the reference data, nothing else (built once)."""
    path = tmp_path_factory.mktemp("ref") / "btxh.db"
    db = store.open_db(path)
    migrations.apply(db)
    reference.load(db)
    db.conn.close()
    return path


@pytest.fixture
def ref_db(reference_db_path, tmp_path):
    """A fresh copy of the reference database for one test."""
    path = tmp_path / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    yield db
    db.conn.close()


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory, reference_db_path) -> Path:
    """The commune-scale demo plus one account per role (built once per session)."""
    from btxh import cli

    path = tmp_path_factory.mktemp("demo") / "btxh.db"
    shutil.copy(reference_db_path, path)
    cli.build_demo(str(path), scale="commune", seed=1, province=None, force=False, echo=lambda *_: None)
    db = store.open_db(path)
    commune = db.execute("SELECT commune_code FROM persons GROUP BY commune_code ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    province = db.execute("SELECT province_code FROM communes WHERE code = ?", [commune]).fetchone()[0]
    for name, role, communes, prov in [
        ("t_xa", "can_bo_xa", [commune], None),
        ("t_tinh", "tinh", [], province),
        ("t_phantich", "phan_tich", [], None),
        ("t_quantri", "quan_tri", [], None),
    ]:
        users.add_user(db, username=name, role=role, password=PASSWORD, communes=communes, province=prov)
    db.conn.close()
    return path


def start_datasette(path):
    """A started Datasette over a real file, configured exactly as `btxh serve` does."""
    from datasette.app import Datasette

    instance = Datasette(**serving.datasette_kwargs(path, SECRET))
    asyncio.run(instance.invoke_startup())
    return instance


def case_site(folder: Path, demo_db_path, prefix: str, prepare=None) -> dict:
    """A copy of the commune demo with five accounts named ``<prefix>_xa`` (the commune
    officer), ``_xa_khac`` (another commune), ``_pt``, ``_qt``, ``_tinh``, one K6 application
    by the officer, ``prepare(db, officer, app_id) -> dict`` for more, and a started Datasette
    with everyone logged in: the case-file tests' common ground."""
    from btxh import cases

    path = folder / "btxh.db"
    shutil.copy(demo_db_path, path)
    db = store.open_db(path)
    commune, village = db.execute("SELECT commune_code, id FROM villages WHERE commune_code IN"
                                  " (SELECT commune_code FROM persons) LIMIT 1").fetchone()
    other = db.execute("SELECT code FROM communes WHERE code <> ? LIMIT 1", [commune]).fetchone()[0]
    province = db.execute("SELECT province_code FROM communes WHERE code = ?", [commune]).fetchone()[0]
    names = {f"{prefix}_xa": ("can_bo_xa", [commune], None), f"{prefix}_xa_khac": ("can_bo_xa", [other], None),
             f"{prefix}_pt": ("phan_tich", [], None), f"{prefix}_qt": ("quan_tri", [], None),
             f"{prefix}_tinh": ("tinh", [], province)}
    for name, (role, communes, prov) in names.items():
        users.add_user(db, username=name, role=role, password=PASSWORD, communes=communes, province=prov)
    officer = users.actor_for(db, f"{prefix}_xa")
    app_id = cases.new_application(db, officer, {
        "commune_code": commune, "category": "K6", "submitted_date": "01/09/2025", "full_name": "Lê Thị Hoa",
        "sex": "nu", "birth_date": "1970", "village_id": str(village), "disability_level": "NANG",
        "disability_cert_date": "10/08/2025"})
    extra = prepare(db, officer, app_id) if prepare else {}
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "path": path, "app": app_id, "commune": commune, "village": village,
            "cookies": login_all(ds, names), **extra}


def login_all(ds, names, password=PASSWORD) -> dict:
    """ds_actor cookies for each username, obtained through the real login form."""
    async def all_logins():
        out = {}
        for name in names:
            response = await login(ds, name, password)
            assert response.status_code == 302, response.text
            out[name] = {"ds_actor": response.cookies["ds_actor"]}
        return out

    return asyncio.run(all_logins())


@pytest.fixture(scope="session")
def ds(demo_db_path):
    return start_datasette(demo_db_path)


_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


async def login(ds, username, password=PASSWORD):
    """Log in through the real form; return the response of the POST."""
    page = await ds.client.get("/-/login")
    token = _CSRF.search(page.text).group(1)
    return await ds.client.post(
        "/-/login",
        data={"username": username, "password": password, "csrftoken": token},
        cookies={"ds_csrftoken": page.cookies["ds_csrftoken"]},
    )


@pytest.fixture(scope="session")
def cookies(ds):
    """ds_actor cookies per role, obtained through the login form (once)."""
    import asyncio

    async def all_logins():
        out = {}
        for role, name in [("can_bo_xa", "t_xa"), ("tinh", "t_tinh"), ("phan_tich", "t_phantich"),
                           ("quan_tri", "t_quantri")]:
            response = await login(ds, name)
            assert response.status_code == 302, response.text
            out[role] = {"ds_actor": response.cookies["ds_actor"]}
        return out

    return asyncio.run(all_logins())


@pytest.fixture(scope="session")
def province_ds(tmp_path_factory, reference_db_path):
    """A province-scale demo (two and more communes with people) and scoped accounts."""
    from datasette.app import Datasette

    from btxh import cli, serving

    path = tmp_path_factory.mktemp("scoping") / "btxh.db"
    shutil.copy(reference_db_path, path)
    cli.build_demo(str(path), scale="province", seed=3, province="08", force=False, echo=lambda *_: None)
    db = store.open_db(path)
    a, b = [r[0] for r in db.execute(
        "SELECT commune_code FROM persons GROUP BY commune_code ORDER BY count(*) DESC LIMIT 2")]
    users.add_user(db, username="s_xa_a", role="can_bo_xa", password=PASSWORD, communes=[a])
    users.add_user(db, username="s_tinh", role="tinh", password=PASSWORD, province="08")
    users.add_user(db, username="s_tinh_khac", role="tinh", password=PASSWORD, province="01")
    users.add_user(db, username="s_qt", role="quan_tri", password=PASSWORD)
    users.add_user(db, username="s_pt", role="phan_tich", password=PASSWORD)
    other_person = db.execute("SELECT id FROM persons WHERE commune_code = ? LIMIT 1", [b]).fetchone()[0]
    own_person = db.execute("SELECT id FROM persons WHERE commune_code = ? LIMIT 1", [a]).fetchone()[0]
    db.conn.close()
    from btxh.payroll import run as payroll

    db = store.open_db(path)
    payroll.run(db, "2026-11")
    decision_a = db.execute("SELECT id FROM decisions WHERE commune_code = ? LIMIT 1", [a]).fetchone()[0]
    decision_b = db.execute("SELECT id FROM decisions WHERE commune_code = ? LIMIT 1", [b]).fetchone()[0]
    province_communes = db.execute("SELECT code FROM communes WHERE province_code = '08'").fetchall()
    db.conn.close()
    ds = Datasette(**serving.datasette_kwargs(path, SECRET))
    asyncio.run(ds.invoke_startup())

    async def cookies():
        return {name: {"ds_actor": (await login(ds, name)).cookies["ds_actor"]}
                for name in ("s_xa_a", "s_tinh", "s_tinh_khac", "s_qt", "s_pt")}

    return {"ds": ds, "a": a, "b": b, "own": own_person, "other": other_person,
            "decision_a": decision_a, "decision_b": decision_b, "province_communes": province_communes, "cookies": asyncio.run(cookies())}
