"""`btxh publish`: the public pages (công khai) as a self-contained static site.

The pages are fetched by datasette-export (``datasette export … --path …``) from the same
Datasette configuration `btxh serve` runs, as an anonymous visitor: only what the live
public pages show can end up in the site. Then every root-relative link is rewritten to a
relative one (so the site works from ``file://`` and under any prefix of any static host),
the two static assets are copied, an index is written, and a SHA-256 manifest
(``SHA256SUMS``, the format of ``sha256sum -c``) lists every other file.

No Datasette import here: datasette-export runs as a subprocess.
"""

from __future__ import annotations

import hashlib
import html
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from . import clock, notices, serving

MANIFEST = "SHA256SUMS"
ASSETS = ("btxh-public.css", "btxh-public.js")
NOT_FOUND_TITLE = "<title>Không tìm thấy</title>"
PUBLIC_FRAME = '<body class="btxh-public-page">'  # templates/btxh_public_base.html
_LINK = re.compile(r'\s(href|src|action)="(/[^"#?]*)([?#][^"]*)?"')


class PublishError(Exception):
    """A problem that stops the publication (message in Vietnamese)."""


# -- which pages -------------------------------------------------------------------------

def public_paths(db: Database, province: str | None = None) -> list[str]:
    """Every public URL of one province (or of all): provinces, province, communes and each
    commune's notices — the decisions of the last months, the posting, the programs."""
    where, params = ("WHERE province_code = ?", [province]) if province else ("", [])
    provinces = [r[0] for r in db.execute(f"SELECT DISTINCT province_code FROM communes {where} ORDER BY 1",
                                          params)]
    if province and not provinces:
        raise PublishError(f"Không có tỉnh, thành phố mã «{province}».")
    months = notices.previous_months(notices.month_of(clock.today()), notices.DECISION_MONTHS)
    programs: dict[str, list[str]] = {}
    for code, prog in db.execute("SELECT DISTINCT commune_code, program_code FROM support_awards"):
        programs.setdefault(code, []).append(prog)
    paths = ["/cong-khai"]
    for p in provinces:
        paths.append(f"/cong-khai/{p}")
        for (code,) in db.execute("SELECT code FROM communes WHERE province_code = ? ORDER BY code", [p]):
            base = f"/cong-khai/xa/{code}"
            paths += [base, f"{base}/quyet-dinh", *(f"{base}/quyet-dinh/{m}" for m in months),
                      f"{base}/niem-yet", f"{base}/ho-tro",
                      *(f"{base}/ho-tro/{prog}" for prog in sorted(programs.get(code, [])))]
    return paths


def output_file(path: str) -> str:
    """Where datasette-export saves a URL path: ``/cong-khai/08`` → ``cong-khai/08.html``."""
    if path == "/":
        return "index.html"
    if "." not in path.rsplit("/", 1)[-1]:
        path += ".html"
    return path.lstrip("/")


# -- links -------------------------------------------------------------------------------

def rewrite_links(text: str, page: str, files: set[str]) -> str:
    """Root-relative links become relative to ``page``; a link to a page that is not in
    the site (another province, say) loses its target and stays as plain text."""
    here = posixpath.dirname(page) or "."

    def one(m: re.Match) -> str:
        attr, target, tail = m.group(1), m.group(2), m.group(3) or ""
        file = output_file(target) if not target.startswith("/btxh-static/") else target.lstrip("/")
        if file not in files:
            return "" if attr == "href" else f' {attr}="#"'
        return f' {attr}="{posixpath.relpath(file, here)}{tail}"'

    return _LINK.sub(one, text)


_LOCAL = re.compile(r'\b(?:href|src|action)=["\']([^"\'#?]*)(?:[?#][^"\']*)?["\']')


def broken_links(outdir: Path) -> list[str]:
    """Every href/src/action of every HTML file that points to a file not in the site."""
    problems = []
    for page in sorted(outdir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        for target in _LOCAL.findall(text):
            if not target or re.match(r"^[a-z]+:", target):
                if target.startswith(("http:", "https:", "//")):
                    problems.append(f"{page.relative_to(outdir)}: liên kết ra ngoài «{target}»")
                continue
            if target.startswith("/"):
                problems.append(f"{page.relative_to(outdir)}: liên kết tuyệt đối «{target}»")
            elif not (page.parent / target).resolve().is_file():
                problems.append(f"{page.relative_to(outdir)}: «{target}» không có trong bản xuất")
    return problems


# -- manifest ----------------------------------------------------------------------------

def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_manifest(outdir: Path) -> Path:
    files = sorted(p.relative_to(outdir).as_posix() for p in outdir.rglob("*")
                   if p.is_file() and p.name != MANIFEST)
    manifest = outdir / MANIFEST
    manifest.write_text("".join(f"{sha256(outdir / f)}  {f}\n" for f in files), encoding="utf-8")
    return manifest


def verify(outdir: Path) -> list[str]:
    """Problems of a copy: a file changed, missing or not in the manifest; a broken link."""
    outdir = Path(outdir)
    manifest = outdir / MANIFEST
    if not manifest.is_file():
        return [f"{outdir}: không có tệp {MANIFEST}"]
    listed: dict[str, str] = {}
    problems = []
    for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest) or ".." in name.split("/"):
            problems.append(f"{MANIFEST} dòng {n}: sai định dạng")
            continue
        listed[name] = digest
    for name, digest in listed.items():
        path = outdir / name
        if not path.is_file():
            problems.append(f"{name}: thiếu tệp")
        elif sha256(path) != digest:
            problems.append(f"{name}: nội dung khác với {MANIFEST}")
    for path in sorted(outdir.rglob("*")):
        name = path.relative_to(outdir).as_posix()
        if path.is_file() and name != MANIFEST and name not in listed:
            problems.append(f"{name}: tệp không có trong {MANIFEST}")
    return problems + broken_links(outdir)


# -- the site ----------------------------------------------------------------------------

@dataclass
class Published:
    outdir: Path
    pages: int
    files: int
    manifest_sha256: str


def export_argv(db_path: Path, paths: list[str], output: Path) -> list[str]:
    """``datasette export`` (datasette-export) with the configuration `btxh serve` uses."""
    argv = serving.datasette_argv(db_path, "127.0.0.1", 0)
    argv = [a for a in argv if a not in ("--host", "127.0.0.1", "--port", "0")]
    argv[0] = "export"
    for p in paths:
        argv += ["--path", p]
    return [sys.executable, "-m", "datasette", *argv, "--output", str(output)]


def _index(provinces: list[dict], generated: str) -> str:
    items = "\n".join(f'<li><a href="cong-khai/{p["code"]}.html">{html.escape(p["name"])}</a></li>'
                      for p in provinces)
    return f"""<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>Công khai danh sách hưởng trợ cấp xã hội</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">
<link rel="stylesheet" href="btxh-static/btxh-public.css"></head>
<body class="btxh-public-page"><main class="btxh-public">
<h1>Công khai danh sách hưởng trợ cấp xã hội hằng tháng</h1>
<p>Bản công bố tĩnh, lập ngày {generated}.</p>
<ul class="btxh-public-list">
{items}
</ul>
<p><a href="cong-khai.html">Tất cả các tỉnh, thành phố</a></p>
<h2>Kiểm tra bản sao</h2>
<p>Tệp <a href="{MANIFEST}">{MANIFEST}</a> ghi mã SHA-256 của mọi tệp khác. Kiểm tra bằng lệnh
<code>sha256sum -c {MANIFEST}</code> trong thư mục này, hoặc <code>btxh publish-verify THƯ_MỤC</code>.</p>
</main></body></html>
"""


def publish(db_path: Path, outdir: Path, province: str | None = None, force: bool = False,
            progress=None) -> Published:
    """Build the site in a temporary folder beside ``outdir``, then move it into place:
    a failed publication leaves ``outdir`` as it was."""
    db_path, outdir = Path(db_path), Path(outdir)
    if not db_path.is_file():
        raise PublishError(f"{db_path}: không có tệp cơ sở dữ liệu.")
    if outdir.exists() and any(outdir.iterdir()):
        if not (outdir / MANIFEST).is_file():
            raise PublishError(f"{outdir}: thư mục đã có tệp và không phải một bản công bố trước; "
                               "chọn thư mục trống.")
        if not force:
            raise PublishError(f"{outdir}: đã có một bản công bố; dùng --force để thay.")
    db = Database(db_path)
    try:
        paths = public_paths(db, province)
        where = "WHERE code = ?" if province else ""
        provinces = list(db.query(f"SELECT code, name FROM provinces {where} ORDER BY code",
                                  [province] if province else []))
    finally:
        db.conn.close()
    parent = outdir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".btxh-publish-", dir=parent) as tmp:
        raw, site = Path(tmp) / "raw", Path(tmp) / "site"
        _run_export(db_path, paths, raw, progress)
        files = {output_file(p) for p in paths} | {f"btxh-static/{a}" for a in ASSETS}
        for p in paths:
            name = output_file(p)
            src = raw / name
            if not src.is_file():
                raise PublishError(f"{p}: datasette-export không tạo được trang.")
            text = src.read_text(encoding="utf-8")
            if NOT_FOUND_TITLE in text or PUBLIC_FRAME not in text:  # a 404, or a refusal page
                raise PublishError(f"{p}: trang không có hoặc không phải trang công khai (lỗi khi xuất).")
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_text(rewrite_links(text, name, files), encoding="utf-8")
        (site / "btxh-static").mkdir(parents=True, exist_ok=True)
        for asset in ASSETS:
            shutil.copyfile(serving.STATIC / asset, site / "btxh-static" / asset)
        (site / "index.html").write_text(_index(provinces, notices.vn_date(clock.today().isoformat())),
                                         encoding="utf-8")
        manifest = write_manifest(site)
        problems = broken_links(site)
        if problems:
            raise PublishError("Liên kết hỏng trong bản xuất:\n" + "\n".join(problems[:20]))
        count = sum(1 for p in site.rglob("*") if p.is_file())
        digest = sha256(manifest)
        if outdir.exists():
            shutil.rmtree(outdir)
        os.replace(site, outdir)
    return Published(outdir, len(paths), count, digest)


def _run_export(db_path: Path, paths: list[str], raw: Path, progress) -> None:
    env = {**os.environ, "PYTHONUTF8": "1"}
    # The paths go in batches: one Datasette start per batch, command lines of sane length.
    batch = 2000
    for i in range(0, len(paths), batch):
        chunk = paths[i:i + batch]
        done = subprocess.run(export_argv(db_path, chunk, raw), env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise PublishError("datasette export thất bại:\n" + done.stderr[-2000:])
        if progress:
            progress(len(chunk))
