"""Finding 6: a 4.8 KB spreadsheet must not kill the server or the CLI (issue 11).

Each hostile file is imported in a subprocess with its address space capped (RLIMIT_AS 1.5 GB),
so a regression fails the test — calamine aborting or running out of memory — instead of killing
pytest: by the CLI (`btxh import doi-tuong`) and by the upload page of a real Datasette.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import digest
from sec_files_build import HOSTILE

TESTS = Path(__file__).resolve().parents[1]
BTXH = Path(sys.executable).with_name("btxh")
LIMIT = 1_500_000_000
CAPPED = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({LIMIT}, {LIMIT}))\n"
ENV = {**os.environ, "MALLOC_ARENA_MAX": "2"}  # glibc would reserve 64 MB of address space per thread


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    files = {}
    for name, build in HOSTILE.items():
        files[name] = folder / name
        files[name].write_bytes(build())
    return files


@pytest.mark.parametrize("name", list(HOSTILE))
def test_one_cell_at_xfd1048576_and_other_hostile_files_cannot_kill_the_cli_import(
        name, hostile, reference_db_path, tmp_path):
    db = tmp_path / "btxh.db"
    shutil.copy(reference_db_path, db)
    before = digest(db)
    run = subprocess.run(
        [sys.executable, "-c", CAPPED + "from btxh.cli import cli; cli()", "import", "doi-tuong",
         str(hostile[name]), "--commune", "00004", "--db", str(db)],
        capture_output=True, text=True, env=ENV, timeout=300)
    assert run.returncode == 2, (run.returncode, run.stderr[-1500:])
    assert f"«{name}»" in run.stderr and "Không có gì được ghi" in run.stderr, run.stderr
    assert "tối đa" in run.stderr or "DOCTYPE" in run.stderr, run.stderr  # the limit, or the XML trick, named
    assert digest(db) == before


PAGE = CAPPED + '''
import asyncio, json, re, sys
sys.path.insert(0, sys.argv[1])
from conftest import login_all, start_datasette
ds = start_datasette(sys.argv[2])
cookies = login_all(ds, ["f_xa"])["f_xa"]

async def post(name, data):
    page = await ds.client.get("/-/btxh/nhap", cookies=cookies)
    token = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    jar = {**cookies, "ds_csrftoken": page.cookies["ds_csrftoken"]}
    r = await ds.client.post("/-/btxh/nhap", cookies=jar, data={"csrftoken": token, "commune": "00004"},
                             files={"file": (name, data)})
    return r.status_code, r.text

out = {}
for path in sys.argv[3:]:
    name = path.rsplit("/", 1)[-1]
    out[name] = asyncio.run(post(name, open(path, "rb").read()))
print(json.dumps(out))
'''


def test_one_cell_at_xfd1048576_upload_cannot_kill_the_server(hostile, reference_db_path, tmp_path):
    from btxh import store, users
    from conftest import PASSWORD

    db_path = tmp_path / "btxh.db"
    shutil.copy(reference_db_path, db_path)
    db = store.open_db(db_path)
    users.add_user(db, username="f_xa", role="can_bo_xa", password=PASSWORD, communes=["00004"])
    db.conn.close()
    names = ["one-cell-at-XFD1048576.xlsx", "zip-bomb.xlsx", "ten-thousand-sheets.xlsx", "billion-laughs.xlsx"]
    run = subprocess.run([sys.executable, "-c", PAGE, str(TESTS), str(db_path), *(str(hostile[n]) for n in names)],
                         capture_output=True, text=True, env=ENV, timeout=300)
    assert run.returncode == 0, (run.returncode, run.stderr[-1500:])
    answers = json.loads(run.stdout.strip().splitlines()[-1])
    for name in names:
        status, html = answers[name]
        assert status == 400 and f"«{name}»" in html and "Không có gì được ghi" in html, (name, status)
    assert "tối đa 200.000 dòng" in answers["one-cell-at-XFD1048576.xlsx"][1]
    db = store.open_db(db_path)
    assert db.execute("SELECT (SELECT count(*) FROM persons) + (SELECT count(*) FROM import_batches)").fetchone() == (0,)
    db.conn.close()
