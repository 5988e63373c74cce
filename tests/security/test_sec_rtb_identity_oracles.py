"""Red team B: what a commune officer learns about people of another commune from the messages
of the forms that write (issue 11 red-team pass; ADR 007 «What a scoped writer is told»).

The officer of commune B types or uploads a CCCD they found (or guessed) and reads the refusal:
before the fix it named the holder in commune A — full name, date of birth, person id and
commune — although B may not see A's people (the `_through=` oracle of finding 2, by another
door). After the fix the CCCD is still refused (it is unique), and nothing says whose it is.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil

import openpyxl
import pytest

from conftest import PASSWORD, login_all, start_datasette
from btxh import store, users

A, B = "00691", "00976"  # two communes of province 08
CCCD = "002189702087"  # a woman born in 1989 (century/sex digit 1, year 89)
NAME, BORN = "Hứa Hồng Khuê", "1989-07-06"
_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def site(tmp_path_factory, reference_db_path):
    path = tmp_path_factory.mktemp("sec_rtb") / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    now = "2026-01-01 08:00:00"
    person_id = db["persons"].insert({
        "full_name": NAME, "sex": "nu", "birth_date": BORN, "birth_precision": "day", "birth_year": 1989,
        "cccd": CCCD, "commune_code": A, "created_at": now, "updated_at": now}).last_pk
    users.add_user(db, username="rtb_xa_b", role="can_bo_xa", password=PASSWORD, communes=[B])
    users.add_user(db, username="rtb_xa_a", role="can_bo_xa", password=PASSWORD, communes=[A])
    db.conn.close()
    ds = start_datasette(path)
    return {"ds": ds, "person_id": person_id, "cookies": login_all(ds, ["rtb_xa_b", "rtb_xa_a"])}


async def _post(ds, cookies, path, data, files=None):
    page = await ds.client.get(path, cookies=cookies)
    token = _CSRF.search(page.text).group(1)
    jar = {**cookies, "ds_csrftoken": page.cookies["ds_csrftoken"]}
    return await ds.client.post(path, cookies=jar, data={"csrftoken": token, **data}, files=files)


def _identifies(text: str, person_id: int) -> list[str]:
    """What of the holder a page gives away."""
    found = [w for w in (NAME, BORN, "06/07/1989", A) if w in text]
    if re.search(rf"mã {person_id}\b", text):
        found.append(f"mã {person_id}")
    return found


def _xlsx(full_name: str, birth: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Giới tính", "Ngày sinh", "Đối tượng", "Số QĐ", "Ngày QĐ", "Mã xã", "Số CCCD"])
    ws.append([full_name, "Nữ", birth, "K1", "1/QĐ", "02/01/2024", B, CCCD])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_new_case_with_another_communes_cccd_does_not_name_its_holder(site):
    ds, cookies = site["ds"], site["cookies"]["rtb_xa_b"]
    page = asyncio.run(_post(ds, cookies, "/-/btxh/ho-so/moi", {
        "commune_code": B, "category": "K5a", "submitted_date": "01/09/2026", "full_name": "Người Thử",
        "sex": "nu", "birth_date": "1989", "cccd": CCCD}))
    assert page.status_code == 400
    assert _identifies(page.text, site["person_id"]) == []
    assert "đã có trong sổ" in page.text  # the CCCD is still refused


def test_new_case_with_own_communes_cccd_still_names_the_person(site):
    """The holder's own commune officer keeps the useful message (no over-correction)."""
    ds, cookies = site["ds"], site["cookies"]["rtb_xa_a"]
    page = asyncio.run(_post(ds, cookies, "/-/btxh/ho-so/moi", {
        "commune_code": A, "category": "K5a", "submitted_date": "01/09/2026", "full_name": "Người Thử",
        "sex": "nu", "birth_date": "1989", "cccd": CCCD}))
    assert page.status_code == 400 and NAME in page.text


@pytest.mark.parametrize("full_name, birth", [("Nguyễn Văn Thử", "06/07/1989"), (NAME, "06/07/1989")],
                         ids=["other_name", "same_name"])
def test_import_with_another_communes_cccd_does_not_name_its_holder_or_commune(site, full_name, birth):
    ds, cookies = site["ds"], site["cookies"]["rtb_xa_b"]
    page = asyncio.run(_post(ds, cookies, "/-/btxh/nhap", {"commune": B},
                             files={"file": ("ds.xlsx", _xlsx(full_name, birth))}))
    assert page.status_code == 400 and "Không có gì được ghi" in page.text
    leaked = _identifies(page.text.replace(full_name, "") if full_name == NAME else page.text,
                         site["person_id"])
    assert leaked == []
    assert "đã có trong sổ" in page.text  # the CCCD is still refused


def _errors(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>|\s+", " ", m).strip()
            for m in re.findall(r'class="btxh-field-error"[^>]*>(.*?)</', html, re.S)]


def test_new_case_naming_another_communes_person_id_tells_nothing_about_that_person(site):
    """Officer of B files a case «in A» for person id N: the refusal must read the same whether N
    is A's person or nobody — before, it went on to check N and told their age («người 37 tuổi…
    không thuộc diện K1»; bisect the filing date for the birthday), death, or commune."""
    ds, cookies = site["ds"], site["cookies"]["rtb_xa_b"]

    def refusal(person_id):
        page = asyncio.run(_post(ds, cookies, "/-/btxh/ho-so/moi", {
            "commune_code": A, "category": "K1", "submitted_date": "01/09/2026",
            "person_id": str(person_id)}))
        assert page.status_code == 400
        return _errors(page.text)

    theirs, nobody = refusal(site["person_id"]), refusal(999_999)
    assert not any("tuổi" in e for e in theirs), theirs
    assert theirs == nobody
