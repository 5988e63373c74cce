"""Shared fixtures: real SQLite files built from migrations, a real Datasette instance."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def ds(demo_db_path):
    from datasette.app import Datasette

    import asyncio

    instance = Datasette(**serving.datasette_kwargs(demo_db_path, SECRET))
    asyncio.run(instance.invoke_startup())
    return instance


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
