"""Finding 19: uploads streamed to a private folder with the limit enforced while reading; a
checked file waits for its uploader only, for an hour at most (issue 11)."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import shutil
import stat
import tempfile
import time

import openpyxl
import pytest

from conftest import PASSWORD, login_all, start_datasette
from btxh import store, users
from btxh.importing import upload as uploads

_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
NAME = "Lê Văn Bí Mật"


@pytest.fixture(scope="module")
def env(tmp_path_factory, reference_db_path):
    path = tmp_path_factory.mktemp("upload") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    for name in ("u_xa", "u_xa2"):
        users.add_user(db, username=name, role="can_bo_xa", password=PASSWORD, communes=["00004"])
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "path": path, "cookies": login_all(ds, ["u_xa", "u_xa2"])}


def _xlsx(name=NAME) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Giới tính", "Ngày sinh", "Đối tượng", "Số QĐ", "Ngày QĐ", "Mã xã"])
    ws.append([name, "Nam", "1950", "K5a", "1/QĐ", "02/01/2024", "00004"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def _post(ds, cookies, data=None, files=None):
    page = await ds.client.get("/-/btxh/nhap", cookies=cookies)
    token = _CSRF.search(page.text).group(1)
    jar = {**cookies, "ds_csrftoken": page.cookies["ds_csrftoken"]}
    return await ds.client.post("/-/btxh/nhap", cookies=jar, data={**(data or {}), "csrftoken": token},
                                files=files or {"x": ("", b"")})


def _persons(path) -> int:
    db = store.open_db(path)
    try:
        return db.execute("SELECT count(*) FROM persons").fetchone()[0]
    finally:
        db.conn.close()


async def _raw_post(ds, cookies, chunks, headers=()):
    """POST straight to the ASGI app, the body given chunk by chunk; how much of it was read."""
    page = await ds.client.get("/-/btxh/nhap", cookies=cookies)
    csrf = _CSRF.search(page.text).group(1)
    cookie = "; ".join(f"{k}={v}" for k, v in {**cookies, "ds_csrftoken": page.cookies["ds_csrftoken"]}.items())
    boundary = "----btxhbomb"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n{csrf}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="to.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    body = iter([head, *chunks])
    read = {"bytes": 0}
    sent = {}

    async def receive():
        chunk = next(body, None)
        if chunk is None:
            return {"type": "http.request", "body": f"\r\n--{boundary}--\r\n".encode(), "more_body": False}
        read["bytes"] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
        elif message["type"] == "http.response.body":
            sent["body"] = sent.get("body", b"") + message.get("body", b"")

    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/-/btxh/nhap", "raw_path":
             b"/-/btxh/nhap", "query_string": b"", "scheme": "http", "server": ("localhost", 80),
             "client": ("127.0.0.1", 1), "root_path": "",
             "headers": [(b"host", b"localhost"), (b"cookie", cookie.encode()),
                         (b"content-type", f"multipart/form-data; boundary={boundary}".encode()), *headers]}
    await ds.app()(scope, receive, send)
    return sent["status"], sent.get("body", b"").decode("utf-8", "replace"), read["bytes"]


def test_endless_upload_body_is_cut_off_at_the_limit_not_buffered_whole(env):
    ds, cookies = env["ds"], env["cookies"]["u_xa"]
    megabyte = b"x" * (1024 * 1024)
    endless = (megabyte for _ in range(200))  # 200 MB offered, never built
    status, html, read = asyncio.run(_raw_post(ds, cookies, endless))
    assert status == 413 and "Tệp quá lớn" in html
    assert read <= uploads.BODY_BYTES + 2 * len(megabyte), f"read {read} bytes before refusing"
    announced = (megabyte for _ in range(200))
    status, html, read = asyncio.run(_raw_post(ds, cookies, announced,
                                               headers=[(b"content-length", b"10000000000")]))
    assert status == 413 and "Tệp quá lớn" in html and read == 0
    folder = env["path"].parent / uploads.FOLDER
    assert not list(folder.glob("*.part")), "a refused upload left a partial file"


def test_checked_upload_is_not_left_in_the_shared_tmp_folder(env):
    ds, cookies = env["ds"], env["cookies"]["u_xa"]
    data = _xlsx("Trần Thị Tạm " + os.urandom(4).hex())
    checked = asyncio.run(_post(ds, cookies, data={"commune": "00004"}, files={"file": ("ds.xlsx", data)}))
    assert checked.status_code == 200 and "Ghi vào sổ" in checked.text
    shared = os.path.join(tempfile.gettempdir(), "btxh-nhap", hashlib.sha256(data).hexdigest() + ".bin")
    assert not os.path.exists(shared), "the checked file waits in the shared temporary folder"
    folder = env["path"].parent / uploads.FOLDER
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    kept = [p for p in folder.glob("*.bin") if p.read_bytes() == data]
    assert len(kept) == 1 and not stat.S_IMODE(kept[0].stat().st_mode) & 0o077
    hidden = dict(_HIDDEN.findall(checked.text))
    cancelled = asyncio.run(_post(ds, cookies, data={**hidden, "cancel": "1"}))
    assert cancelled.status_code == 200 and "Đã huỷ" in cancelled.text and not kept[0].exists()
    # an hour later the kept file is gone and cannot be written any more
    again = asyncio.run(_post(ds, cookies, data={"commune": "00004"}, files={"file": ("ds.xlsx", data)}))
    hidden = dict(_HIDDEN.findall(again.text))
    for p in folder.iterdir():
        os.utime(p, (time.time() - uploads.KEEP_SECONDS - 60,) * 2)
    late = asyncio.run(_post(ds, cookies, data={**hidden, "confirm": "1"}))
    assert late.status_code == 400 and not list(folder.iterdir()) and _persons(env["path"]) == 0


def test_another_officer_cannot_confirm_or_read_someone_elses_checked_upload(env):
    ds, mine, theirs = env["ds"], env["cookies"]["u_xa"], env["cookies"]["u_xa2"]
    checked = asyncio.run(_post(ds, mine, data={"commune": "00004"}, files={"file": ("ds.xlsx", _xlsx())}))
    assert checked.status_code == 200 and NAME in checked.text
    hidden = dict(_HIDDEN.findall(checked.text))
    for replay in ({**hidden, "confirm": "1"}, hidden):  # the other officer replays the form: write, or just look
        stolen = asyncio.run(_post(ds, theirs, data=replay))
        assert stolen.status_code == 400 and NAME not in stolen.text
    assert _persons(env["path"]) == 0
    done = asyncio.run(_post(ds, mine, data={**hidden, "confirm": "1"}))
    assert done.status_code == 200 and "Đã ghi vào sổ" in done.text
    assert _persons(env["path"]) == 1
    assert not list((env["path"].parent / uploads.FOLDER).glob("*.bin"))
