"""An uploaded spreadsheet between "Kiểm tra" and "Ghi vào sổ" (issue 11, finding 19).

* The request body is streamed (``read_multipart``) into a file made by ``mkstemp`` in a private
  folder (``private_folder``: 0700, owned by the server's user, beside the database — never the
  shared temporary folder), and the limit is enforced while reading: past ``MAX_BYTES`` reading
  stops and :class:`TooLarge` is raised; the caller answers 413.
* A checked file that may be written is kept under a random token bound to the uploader's
  account (``keep``); ``take`` gives it back to that account only; it is deleted on write or
  cancel (``discard``) and expires after ``KEEP_SECONDS`` (``expire``, run on every use).

No Datasette here: the page (plugins/btxh_import.py) passes the ASGI body as chunks.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from importers.limits import MAX_FILE_BYTES as MAX_BYTES

FOLDER = ".btxh-nhap"
KEEP_SECONDS = 3600
FIELD_BYTES = 4096  # a form field other than the file (token, commune, csrftoken …)
BODY_BYTES = MAX_BYTES + 64 * 1024  # the file, the other fields and the multipart framing
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class TooLarge(Exception):
    """The request body is over the limit; nothing of it was kept."""


class BadForm(Exception):
    """The body is not a readable multipart form; nothing of it was kept."""


MAX_FIELDS = 50


def private_folder(db_path) -> Path:
    """The uploads folder beside the database: created 0700, refused if it is a link or
    someone else's."""
    folder = Path(db_path).resolve().parent / FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PermissionError(f"{folder}: không phải thư mục riêng của máy chủ")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


def too_large_announced(content_length: str | None) -> bool:
    return bool(content_length and content_length.isdigit() and int(content_length) > BODY_BYTES)


async def read_multipart(chunks, content_type: str, folder: Path) -> tuple[dict, Path | None]:
    """Form fields (name → str) and the uploaded file's path in ``folder`` (its original name in
    ``fields["file"]``), streamed from ``chunks`` (an async iterator of bytes). Raises TooLarge
    (the partial file deleted) past BODY_BYTES of body or MAX_BYTES of file, BadForm for a body
    that is not a multipart form (or has more than MAX_FIELDS parts)."""
    _, options = parse_options_header(content_type.encode("latin-1"))
    boundary = options.get(b"boundary")
    if not boundary:
        return {}, None
    fields, part = {}, {}
    fd, path = tempfile.mkstemp(dir=folder, suffix=".part")
    out = os.fdopen(fd, "wb")
    state = {"file": False, "size": 0, "header": b"", "value": b""}

    def header_field(data, start, end):
        state["header"] += data[start:end]

    def header_value(data, start, end):
        state["value"] += data[start:end]

    def header_end():
        part[state["header"].lower()] = state["value"]
        state["header"], state["value"] = b"", b""

    def headers_finished():
        _, disposition = parse_options_header(part.get(b"content-disposition", b""))
        part["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
        part["data"] = b""
        filename = disposition.get(b"filename")
        part["upload"] = filename is not None  # a file part: never a text field
        if len(fields) > MAX_FIELDS:
            raise BadForm
        if filename is not None and part["name"] == "file" and not state["file"]:
            state["file"] = True
            part["is_file"] = True
            fields["file"] = Path(filename.decode("utf-8", "replace")).name

    def data(buf, start, end):
        if part.get("is_file"):
            state["size"] += end - start
            if state["size"] > MAX_BYTES:
                raise TooLarge
            out.write(buf[start:end])
        elif len(part["data"]) + end - start <= FIELD_BYTES:
            part["data"] += buf[start:end]

    def part_end():
        if not part.get("upload") and part.get("name"):
            fields[part["name"]] = part["data"].decode("utf-8", "replace")
        part.clear()

    parser = MultipartParser(boundary, {
        "on_header_field": header_field, "on_header_value": header_value, "on_header_end": header_end,
        "on_headers_finished": headers_finished, "on_part_data": data, "on_part_end": part_end})
    received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > BODY_BYTES:
                raise TooLarge
            parser.write(chunk)
        parser.finalize()
    except (TooLarge, BadForm):
        out.close()
        os.unlink(path)
        raise
    except Exception as e:  # python-multipart's parse errors: a broken or forged body
        out.close()
        os.unlink(path)
        raise BadForm from e
    except BaseException:
        out.close()
        os.unlink(path)
        raise
    out.close()
    if not state["file"] or state["size"] == 0:
        os.unlink(path)
        return fields, None
    return fields, Path(path)


def expire(folder: Path, now: float | None = None) -> None:
    """Delete every kept or partial upload older than KEEP_SECONDS."""
    limit = (now or time.time()) - KEEP_SECONDS
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < limit:
                entry.unlink()
        except FileNotFoundError:
            pass


def keep(folder: Path, path: Path, username: str, filename: str) -> str:
    """Keep a checked upload for its uploader; the token to confirm or cancel it."""
    expire(folder)
    token = secrets.token_urlsafe(32)
    os.replace(path, folder / f"{token}.bin")
    meta = folder / f"{token}.json"
    fd = os.open(meta, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"user": username, "filename": filename}, f)
    return token


def take(folder: Path, token: str, username: str) -> tuple[Path, str] | None:
    """(file, original name) of ``username``'s kept upload; None if unknown, expired or another's."""
    expire(folder)
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = folder / f"{token}.bin"
    if meta.get("user") != username or not path.exists():
        return None
    return path, meta.get("filename") or "tep"


def discard(folder: Path, token: str) -> None:
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        for suffix in (".bin", ".json"):
            (folder / f"{token}{suffix}").unlink(missing_ok=True)
