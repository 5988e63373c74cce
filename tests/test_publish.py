"""`btxh publish`: the public pages as a static, checksummed site that works from file://."""

import hashlib
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from btxh import publish
from btxh.cli import cli


@pytest.fixture(scope="module")
def site(province_ds, tmp_path_factory):
    db_path = province_ds["ds"].get_database("btxh").path
    out = tmp_path_factory.mktemp("publish") / "cong-khai-08"
    result = publish.publish(db_path, out, province="08")
    return {"out": out, "result": result, "db": db_path}


@pytest.mark.parametrize("path,file", [
    ("/", "index.html"), ("/cong-khai", "cong-khai.html"), ("/cong-khai/08", "cong-khai/08.html"),
    ("/cong-khai/xa/01117/quyet-dinh/2026-10", "cong-khai/xa/01117/quyet-dinh/2026-10.html"),
    ("/btxh-static/btxh-public.css", "btxh-static/btxh-public.css"),
], ids=["root", "provinces", "province", "decisions-of-a-month", "asset"])
def test_output_file_follows_datasette_export(path, file):
    assert publish.output_file(path) == file


@pytest.mark.parametrize("html,page,expected", [
    ('<a href="/cong-khai/08">x</a>', "cong-khai/xa/01117.html", '<a href="../08.html">x</a>'),
    ('<a href="/cong-khai">x</a>', "cong-khai/08.html", '<a href="../cong-khai.html">x</a>'),
    ('<link href="/btxh-static/btxh-public.css">', "cong-khai/xa/01117/ho-tro/NQ42.html",
     '<link href="../../../../btxh-static/btxh-public.css">'),
    ('<a href="/cong-khai/01">Hà Nội</a>', "cong-khai.html", "<a>Hà Nội</a>"),
    ('<form action="/cong-khai/xa/01117">', "cong-khai/xa/01117.html", '<form action="01117.html">'),
], ids=["up-to-the-province", "up-to-the-list", "asset-from-deep", "page-not-in-the-site-loses-its-link",
        "search-form"])
def test_links_become_relative(html, page, expected):
    files = {"cong-khai.html", "cong-khai/08.html", "cong-khai/xa/01117.html", "btxh-static/btxh-public.css"}
    assert publish.rewrite_links(html, page, files) == expected


def test_the_site_has_every_page_an_index_and_a_manifest(site, province_ds):
    out, result = site["out"], site["result"]
    from btxh import store
    db = store.open_db(site["db"])
    try:
        paths = publish.public_paths(db, "08")
    finally:
        db.conn.close()
    assert result.pages == len(paths)
    for p in paths:
        assert (out / publish.output_file(p)).is_file(), p
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    manifest = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(manifest) == len(files) - 1 == result.files - 1
    assert "index.html" in files and "btxh-static/btxh-public.js" in files
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="cong-khai/08.html"' in index and "sha256sum -c SHA256SUMS" in index
    assert result.manifest_sha256 == hashlib.sha256((out / "SHA256SUMS").read_bytes()).hexdigest()


def test_every_link_resolves_from_file_urls(site):
    out = site["out"]
    assert publish.broken_links(out) == []
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert 'href="/' not in text and 'src="/' not in text and 'action="/' not in text, page


def test_the_manifest_verifies_with_btxh_and_with_sha256sum(site):
    assert publish.verify(site["out"]) == []
    result = CliRunner().invoke(cli, ["publish-verify", str(site["out"])])
    assert result.exit_code == 0 and "mọi tệp khớp SHA256SUMS" in result.output
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=site["out"], capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_tampered_copy_is_caught(site, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(site["out"], copy)
    page = next(iter(sorted(copy.glob("cong-khai/xa/*.html"))))
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<p>thêm</p></main>"), encoding="utf-8")
    (copy / "cong-khai.html").unlink()
    (copy / "extra.html").write_text("<a href='nowhere.html'>x</a>", encoding="utf-8")
    problems = publish.verify(copy)
    rel = page.relative_to(copy).as_posix()
    assert f"{rel}: nội dung khác với SHA256SUMS" in problems
    assert "cong-khai.html: thiếu tệp" in problems
    assert "extra.html: tệp không có trong SHA256SUMS" in problems
    assert "extra.html: «nowhere.html» không có trong bản xuất" in problems
    result = CliRunner().invoke(cli, ["publish-verify", str(copy)])
    assert result.exit_code == 1 and "thiếu tệp" in result.output


def test_refuses_a_folder_that_is_not_a_publication(site, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thu.txt").write_text("của tôi", encoding="utf-8")
    result = CliRunner().invoke(cli, ["publish", str(folder), "--db", str(site["db"]), "--province", "08"])
    assert result.exit_code == 1 and "không phải một bản công bố trước" in result.output
    assert [p.name for p in folder.iterdir()] == ["thu.txt"]


def test_a_failed_publication_leaves_the_previous_one(site, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(site["out"], copy)
    before = (copy / "SHA256SUMS").read_bytes()
    result = CliRunner().invoke(cli, ["publish", str(copy), "--db", str(site["db"]), "--province", "99", "--force"])
    assert result.exit_code == 1 and "Không có tỉnh, thành phố mã «99»" in result.output
    assert (copy / "SHA256SUMS").read_bytes() == before and publish.verify(copy) == []
    again = CliRunner().invoke(cli, ["publish", str(copy), "--db", str(site["db"]), "--province", "08"])
    assert again.exit_code == 1 and "--force" in again.output


def test_a_page_the_guard_refuses_is_never_published(site, tmp_path, monkeypatch):
    """datasette-export saves whatever it gets; a refusal page must stop the publication."""
    real = publish.public_paths
    monkeypatch.setattr(publish, "public_paths", lambda db, province=None: real(db, province) + ["/btxh/persons"])
    with pytest.raises(publish.PublishError, match="/btxh/persons: trang không có hoặc không phải trang công khai"):
        publish.publish(site["db"], tmp_path / "out", province="08")
    assert not (tmp_path / "out").exists()
