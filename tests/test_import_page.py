"""The upload page /-/btxh/nhap: staff only, dry run first, confirm writes (real Datasette)."""

from __future__ import annotations

import asyncio
import io
import re
import shutil

import openpyxl
import pytest

from conftest import PASSWORD, login_all, start_datasette
from btxh import store, users

_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def env(tmp_path_factory, reference_db_path):
    path = tmp_path_factory.mktemp("nhap") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    users.add_user(db, username="n_xa", role="can_bo_xa", password=PASSWORD, communes=["00004"])
    users.add_user(db, username="n_pt", role="phan_tich", password=PASSWORD)
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "path": path, "cookies": login_all(ds, ["n_xa", "n_pt"])}


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Giới tính", "Ngày sinh", "Đối tượng", "Số QĐ", "Ngày QĐ", "Mã xã"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def _post(ds, cookies, files=None, data=None):
    page = await ds.client.get("/-/btxh/nhap", cookies=cookies)
    token = _CSRF.search(page.text).group(1)
    jar = {**cookies, "ds_csrftoken": page.cookies["ds_csrftoken"]}
    return await ds.client.post("/-/btxh/nhap", cookies=jar, data={"csrftoken": token, **(data or {})},
                                files=files)


def test_staff_only(env):
    ds = env["ds"]
    assert asyncio.run(ds.client.get("/-/btxh/nhap")).status_code == 403
    assert asyncio.run(ds.client.get("/-/btxh/nhap", cookies=env["cookies"]["n_pt"])).status_code == 403
    page = asyncio.run(ds.client.get("/-/btxh/nhap", cookies=env["cookies"]["n_xa"]))
    assert page.status_code == 200 and "Tải tệp mẫu" in page.text
    sample = asyncio.run(ds.client.get("/-/btxh/nhap/mau-danh-sach.xlsx", cookies=env["cookies"]["n_xa"]))
    assert sample.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(sample.content))
    assert wb.active["B1"].value == "Họ và tên"
    howto = asyncio.run(ds.client.get("/-/btxh/nhap/huong-dan", cookies=env["cookies"]["n_xa"]))
    assert howto.status_code == 200 and "Unikey" in howto.text


def test_dry_run_then_confirm_and_the_commune_scope(env):
    ds, cookies = env["ds"], env["cookies"]["n_xa"]
    other = [["Lê Văn Cường", "Nam", "1950", "K5a", "1/QĐ", "02/01/2024", "00008"]]
    refused = asyncio.run(_post(ds, cookies, files={"file": ("ds.xlsx", _xlsx(other))}, data={"commune": "00004"}))
    assert refused.status_code == 400
    assert "không phải xã của tệp" in refused.text, re.sub(r"\s+", " ", refused.text)[-3000:]
    good = [["Lê Văn Cường", "Nam", "1950", "K5a", "1/QĐ", "02/01/2024", "00004"]]
    checked = asyncio.run(_post(ds, cookies, files={"file": ("ds.xlsx", _xlsx(good))}, data={"commune": "00004"}))
    assert checked.status_code == 200, checked.text
    assert "thêm mới 1" in checked.text and "Ghi vào sổ" in checked.text
    db = store.open_db(env["path"])
    assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 0
    db.conn.close()
    token = re.search(r'name="token" value="([^"]+)"', checked.text).group(1)
    done = asyncio.run(_post(ds, cookies, data={"token": token, "commune": "00004", "confirm": "1"},
                             files={"x": ("", b"")}))
    assert done.status_code == 200 and "Đã ghi vào sổ" in done.text, done.text
    db = store.open_db(env["path"])
    assert db.execute("SELECT full_name, commune_code FROM persons").fetchall() == [("Lê Văn Cường", "00004")]
    assert db.execute("SELECT actor FROM audit_log WHERE action = 'import'").fetchall() == [("n_xa",)]
    db.conn.close()
