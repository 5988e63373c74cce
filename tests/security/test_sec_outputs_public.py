"""Finding 16: a public group count was an HIV count.

The public commune and province pages published counts by category group; K8 was folded
into «Người đơn thân nghèo nuôi con và đối tượng khác» and K3 into the children's group, so
in a commune whose group held only K8 (or only K3) people the group's count *was* the number
of people with HIV there, readable by anyone. The attacker here reads every public page of
three planted communes and of their province, takes every published count, and tries each
one and each difference of two against the number of K3/K8 people that a category group
would isolate:

(a) a commune whose "other" group holds only K8 people, (b) one whose children's group holds
only K3 children, (c) one with one K8 person and four K4 single parents.

Each planted commune also holds people of other categories in every age group, as a real
commune does, so that a published count equal to those numbers can only be the HIV count.
The second test is the general guarantee: turning every K3/K8 person into a non-HIV
category of the same age changes no byte of any public page.
"""

import asyncio
import itertools
import re
import shutil

import pytest

from btxh import store
from conftest import start_datasette

PROVINCE = "12"
YEAR = 2026
# (category, birth year, how many) per commune; ages are at 2026
PLANTED = {
    "a": [("K8", 1986, 7), ("K6", 1980, 4), ("K5a", 1950, 10), ("K1", 2015, 3)],   # "other" group = only K8
    "b": [("K3", 2014, 6), ("K6", 2013, 8), ("K5c", 1940, 11), ("K6", 1975, 12)],  # children's group = only K3
    "c": [("K8", 1984, 1), ("K4", 1990, 4), ("K5a", 1948, 14), ("K6", 1970, 20), ("K1", 2016, 9)],
}
# what a category-group count would isolate: (commune, the number of people with HIV)
TARGETS = {"a": 7, "b": 6, "c": 1}
PROVINCE_TARGETS = (7 + 6 + 1, 7 + 1, 6)  # all K3/K8, all K8, all K3 of the province
HARMLESS = {"K8": "K6", "K3": "K6"}  # same age, no HIV (and another category group than before)


def _plant(path, communes):
    db = store.open_db(path)
    now = "2026-01-05T08:00:00Z"
    n = 0
    for key, people in PLANTED.items():
        code = communes[key]
        village = db["villages"].insert({"commune_code": code, "name": "Thôn Một", "kind": "Thôn",
                                         "valid_from": "2025-07-01"}).last_pk
        for category, year, count in people:
            for _ in range(count):
                n += 1
                pid = db["persons"].insert({
                    "full_name": f"Người Thử {n:03d}", "sex": "nam" if n % 2 else "nu",
                    "birth_date": str(year), "birth_precision": "year", "birth_year": year,
                    "commune_code": code, "village_id": village, "created_at": now, "updated_at": now}).last_pk
                db["memberships"].insert({
                    "person_id": pid, "commune_code": code, "category": category, "valid_from": "2024-01-01",
                    "hiv_positive": int(category in HARMLESS),
                    "disability_level": "NANG" if category == "K6" else None})
    db.conn.close()


def _relabel(path):
    """The same people, nobody in an HIV category."""
    db = store.open_db(path)
    for hiv, other in HARMLESS.items():
        db.execute("UPDATE memberships SET category = ?, hiv_positive = 0, disability_level = 'NANG'"
                   " WHERE category = ?", [other, hiv])
    db.conn.commit()
    db.conn.close()


@pytest.fixture(scope="module")
def planted(reference_db_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sec_public")
    path = folder / "btxh.db"
    shutil.copy(reference_db_path, path)
    db = store.open_db(path)
    codes = [r[0] for r in db.execute("SELECT code FROM communes WHERE province_code = ? ORDER BY code LIMIT 3",
                                      [PROVINCE])]
    db.conn.close()
    communes = dict(zip("abc", codes))
    _plant(path, communes)
    harmless = folder / "harmless.db"
    shutil.copy(path, harmless)
    _relabel(harmless)
    return {"path": path, "harmless": harmless, "communes": communes}


def _pages(path, communes) -> dict[str, str]:
    ds = start_datasette(path)
    urls = [f"/cong-khai/{PROVINCE}"]
    for code in communes.values():
        urls += [f"/cong-khai/xa/{code}{tail}" for tail in ("", "/quyet-dinh", "/niem-yet", "/ho-tro")]

    async def fetch():
        out = {}
        for url in urls:
            response = await ds.client.get(url)
            assert response.status_code == 200, url
            out[url] = response.text
        return out
    return asyncio.run(fetch())


_CELL = re.compile(r'<td class="num">(?:<strong>)?([^<]*)<')


def published_counts(html: str) -> list[int]:
    """Every count a public page publishes (summary tables, the province's commune counts),
    plus the number of people listed by name; «dưới 5» and «không công bố» carry no number."""
    counts = []
    for text in _CELL.findall(html):
        text = text.replace(".", "").strip()
        m = re.match(r"^(\d+)( và dưới 5 trẻ em)?$", text)
        if m and len(m.group(1)) < 6:  # amounts (whole thousands of đồng) are not counts
            counts.append(int(m.group(1)))
    counts.append(len(re.findall(r'<td class="btxh-name">', html)))
    return counts


def test_no_public_count_or_difference_of_two_counts_is_a_commune_hiv_count(planted):
    pages = _pages(planted["path"], planted["communes"])
    province = published_counts(pages[f"/cong-khai/{PROVINCE}"])
    for key, hiv in TARGETS.items():
        code = planted["communes"][key]
        numbers = list(province)
        for url, html in pages.items():
            if f"/xa/{code}" in url:
                numbers += published_counts(html)
        assert hiv not in numbers, f"commune ({key}): a published count is its {hiv} people with HIV"
        for x, y in itertools.combinations(numbers, 2):
            assert abs(x - y) != hiv, f"commune ({key}): {x} − {y} = its {hiv} people with HIV"
    numbers = [n for html in pages.values() for n in published_counts(html)]
    for hiv in PROVINCE_TARGETS:
        assert hiv not in province, f"the province page publishes {hiv}, the province's HIV count"
        for x, y in itertools.combinations(set(province), 2):
            assert abs(x - y) != hiv, f"province page: {x} − {y} = {hiv}, the province's HIV count"
    assert numbers, "the pages publish counts"


def test_public_pages_are_identical_whether_or_not_anyone_is_in_an_hiv_category(planted):
    real = _pages(planted["path"], planted["communes"])
    harmless = _pages(planted["harmless"], planted["communes"])
    for url in real:
        assert real[url] == harmless[url], f"{url} depends on who is in K3/K8"


def test_static_site_from_btxh_publish_is_identical_whether_or_not_anyone_is_in_an_hiv_category(planted, tmp_path):
    from btxh import publish

    sites = {}
    for name in ("path", "harmless"):
        out = tmp_path / name
        publish.publish(planted[name], out, province=PROVINCE)
        sites[name] = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    generated = {"index.html", "SHA256SUMS"}  # carry the time of publication
    assert set(sites["path"]) == set(sites["harmless"])
    assert len(sites["path"]) > 100, "every page of the province"
    for name, body in sites["path"].items():
        if name not in generated:
            assert body == sites["harmless"][name], f"{name} depends on who is in K3/K8"
