"""`btxh publish` and `btxh publish-verify`: the public pages as a static site (btxh.publish)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import publish as core


@click.command("publish")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--province", metavar="MÃ", help="Only this province (2-digit code, e.g. 08)")
@click.option("--db", default="btxh.db", show_default=True, type=click.Path(dir_okay=False),
              help="Database file")
@click.option("--force", is_flag=True, help="Replace an earlier publication in OUTDIR")
def publish(outdir, province, db, force):
    """Write the public pages (công khai) as a static site with a SHA-256 manifest.

    The site works from file:// and behind any static host: relative links, its own CSS and
    name search, an index.html, and SHA256SUMS listing every file (`sha256sum -c SHA256SUMS`).
    A failed run leaves OUTDIR as it was.

    \b
    Example:
        btxh publish cong-khai-08 --province 08
        btxh publish-verify cong-khai-08
    """
    started = time.perf_counter()
    try:
        with click.progressbar(length=1, label="Xuất trang công khai", file=sys.stderr) as bar:
            def progress(n):
                bar.length = max(bar.length, bar.pos + n)
                bar.update(n)
            result = core.publish(Path(db), Path(outdir), province=province, force=force, progress=progress)
    except core.PublishError as e:
        raise click.ClickException(str(e)) from None
    n = lambda v: f"{v:,}".replace(",", ".")  # noqa: E731 — Vietnamese thousands separator
    click.echo(f"{result.outdir}: {n(result.pages)} trang, {n(result.files)} tệp, "
               f"{time.perf_counter() - started:.1f} giây")
    click.echo(f"SHA-256 của {core.MANIFEST}: {result.manifest_sha256}")


@click.command("publish-verify")
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
def publish_verify(outdir):
    """Check a copy of a published site: every file matches SHA256SUMS, none missing or
    extra, every link points to a file of the site. Exit status 1 if anything is wrong.

    \b
    Example:
        btxh publish-verify cong-khai-08
    """
    problems = core.verify(Path(outdir))
    if problems:
        click.echo("\n".join(problems), err=True)
        raise SystemExit(1)
    click.echo(f"{outdir}: mọi tệp khớp {core.MANIFEST}, mọi liên kết đều tới được.")
