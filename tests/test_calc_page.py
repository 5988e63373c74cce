"""The staff calculator page /-/btxh/tinh-thu: the same core as `btxh calc`, on a form."""

import asyncio
import re

import pytest

PATH = "/-/btxh/tinh-thu"
_CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')

# rules.md §12: K1 child born 2021-06-15, decision start 2022-01
K1_CHILD = {"birth_date": "15/06/2021", "m1_category": "K1", "m1_from": "01/01/2022",
            "decision_start": "01/2022", "month_from": "05/2025", "month_to": "06/2025"}


def get(ds, path, **kw):
    return asyncio.run(ds.client.get(path, **kw))


def post_form(ds, cookies, data):
    """GET the page for a CSRF token, then POST the form with it (as a browser does)."""
    async def run():
        page = await ds.client.get(PATH, cookies=cookies)
        token = _CSRF.search(page.text).group(1)
        return await ds.client.post(PATH, data={"csrftoken": token, **data},
                                    cookies={**cookies, "ds_csrftoken": page.cookies["ds_csrftoken"]})
    return asyncio.run(run())


def test_anonymous_is_refused(ds):
    assert get(ds, PATH).status_code == 403


def test_actor_without_a_staff_role_is_refused(ds):
    """The ASGI guard lets any actor through; the page itself checks the role."""
    cookie = {"ds_actor": ds.sign({"a": {"id": "khach"}}, "actor")}
    assert get(ds, PATH, cookies=cookie).status_code == 403


@pytest.mark.parametrize("role", ["can_bo_xa", "tinh", "phan_tich", "quan_tri"])
def test_staff_see_the_form(ds, cookies, role):
    response = get(ds, PATH, cookies=cookies[role])
    assert response.status_code == 200
    html = response.text
    assert "Tính thử trợ cấp" in html and 'name="birth_date"' in html and 'name="csrftoken"' in html
    assert "docs/tinh-tro-cap.md" in html
    # categories from the database, sensitive ones too (staff only), and provinces
    assert "K1 — Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng" in html and 'value="K8"' in html
    assert html.count('<option value="') > 40


def test_menu_links_to_the_calculator(ds, cookies):
    assert f'href="{PATH}"' in get(ds, "/", cookies=cookies["can_bo_xa"]).text


def test_k1_child_turns_4_in_june(ds, cookies):
    response = post_form(ds, cookies["can_bo_xa"], K1_CHILD)
    assert response.status_code == 200
    html = response.text
    rows = re.findall(r"<tr>\s*<td>(\d\d/\d{4})</td>(.*?)</tr>", html, re.S)
    assert [month for month, _ in rows] == ["05/2025", "06/2025"]
    assert "1.250.000 đ" in rows[0][1] and "2,5" in rows[0][1]
    assert "750.000 đ" in rows[1][1] and "1,5" in rows[1][1]
    assert "2.000.000 đ" in html  # the total
    # the values entered are kept in the form
    assert 'value="15/06/2021"' in html and 'value="05/2025"' in html
    assert '<option value="K1" selected>' in html


@pytest.mark.parametrize("data, amounts", [
    ({"birth_date": "1946", "m1_category": "K5a", "m1_from": "01/01/2022",
      "month_from": "01/2026"}, ["1.000.000 đ"]),
    ({"birth_date": "10/01/1970", "m1_category": "K6", "m1_level": "NANG", "m1_from": "01/01/2022",
      "m2_category": "K4", "m2_from": "01/01/2022", "c1_birth": "02/04/2014",
      "month_from": "01/2025"}, ["1.250.000 đ"]),
    ({"birth_date": "10/01/1970", "m1_category": "K6", "m1_level": "DBN", "m1_from": "01/01/2022",
      "m2_category": "K8", "m2_from": "01/01/2022", "month_from": "06/2024", "month_to": "07/2024"},
     ["720.000 đ", "1.000.000 đ"]),
], ids=["k5a-year-only-80-in-january", "k4-single-parent-exception", "base-rises-july-2024"])
def test_worked_examples(ds, cookies, data, amounts):
    response = post_form(ds, cookies["tinh"], data)
    assert response.status_code == 200
    cells = re.findall(r"<td class=\"num\"><strong>(.*?)</strong></td>", response.text)
    assert cells == amounts


@pytest.mark.parametrize("data, field_label, message", [
    ({**K1_CHILD, "birth_date": "31/02/2021"}, "Ngày sinh", "ngày sinh không hợp lệ"),
    ({**K1_CHILD, "m1_from": "hôm qua"}, "Diện hưởng dòng 1 — từ ngày", "ngày không hợp lệ"),
    ({**K1_CHILD, "month_from": "13/2025"}, "Tính các tháng", "tháng không hợp lệ"),
    ({**K1_CHILD, "month_from": "01/2020"}, "Tính các tháng", "không tính các tháng trước"),
    ({**K1_CHILD, "m1_category": "K6"}, "Diện hưởng dòng 1 — mức độ khuyết tật", "thiếu trường bắt buộc"),
], ids=["impossible-birth-date", "malformed-from", "bad-month", "before-2021-07", "k6-without-level"])
def test_bad_input_is_explained_in_vietnamese(ds, cookies, data, field_label, message):
    response = post_form(ds, cookies["can_bo_xa"], data)
    assert response.status_code in (200, 400)
    html = response.text
    assert "Chưa tính được" in html and field_label in html and message in html
    assert "Kết quả" not in html
    assert 'value="{}"'.format(data["month_from"]) in html  # entered values kept


def test_every_problem_is_listed_at_once(ds, cookies):
    data = {**K1_CHILD, "month_from": "", "month_to": "", "birth_date": "2021/13/40"}
    html = post_form(ds, cookies["can_bo_xa"], data).text
    assert "Tính các tháng: thiếu trường bắt buộc" in html and "Ngày sinh: ngày sinh không hợp lệ" in html


def test_post_without_csrf_token_is_refused(ds, cookies):
    response = asyncio.run(ds.client.post(PATH, data=K1_CHILD, cookies=cookies["can_bo_xa"]))
    assert response.status_code == 403


def test_province_row_added_to_the_served_database_is_used(ref_db, tmp_path):
    """A (higher) province base added while serving is honoured at once, as by `btxh calc --db`."""
    from datasette.app import Datasette

    from btxh import serving
    from conftest import SECRET

    ds = Datasette(**serving.datasette_kwargs(tmp_path / "btxh.db", SECRET))  # ref_db's file
    asyncio.run(ds.invoke_startup())
    from btxh import users
    from conftest import login

    users.add_user(ref_db, username="t_calc", role="can_bo_xa", password="mat-khau-dai", communes=["00004"])
    staff = {"ds_actor": asyncio.run(login(ds, "t_calc", "mat-khau-dai")).cookies["ds_actor"]}
    data = {**K1_CHILD, "month_to": "05/2025", "province": "01"}
    before = post_form(ds, staff, data).text
    ref_db["base_levels"].insert({"program": "TCXH", "jurisdiction": "01", "valid_from": "2025-01-01",
                                  "amount": 600000, "legal_basis": "Nghị quyết HĐND (thử nghiệm)",
                                  "added_at": "2025-01-01T00:00:00", "added_by": "test"})
    ref_db.conn.commit()
    after = post_form(ds, staff, data).text
    national = post_form(ds, staff, {**data, "province": ""}).text
    assert "1.250.000 đ" in before and "1.500.000 đ" not in before
    assert "1.500.000 đ" in after and '<option value="01" selected>' in after
    assert "1.250.000 đ" in national
