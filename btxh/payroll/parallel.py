"""Share a national month's fast path between processes (one per core).

The run's connection ATTACHes one empty scratch file per worker *before* its transaction;
each forked worker opens the database read-only, computes its shard of the people
(``fastpath.compute(..., shard=(k, n))``, then its carers' care support) and writes
``due`` and ``care`` into its scratch file; the run
then inserts from the attached files inside its one transaction. Workers only read committed
data; the run's transaction has already taken the write lock, so nothing can change under
them. POSIX only (fork); elsewhere, and for scoped runs, the run computes in-process.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from ..rules import Engine
from . import fastpath

MIN_PERSONS = 500_000  # below this, forking costs more than it saves


def workers_for(conn, scope) -> int:
    if scope is not None or os.name != "posix" or not hasattr(os, "fork"):
        return 1
    if conn.execute("SELECT count(*) FROM persons").fetchone()[0] < MIN_PERSONS:
        return 1
    return min(os.cpu_count() or 1, 4)


class Scratch:
    """Scratch files attached to ``conn`` as pay_w0…; removed on exit."""

    def __init__(self, conn, n: int):
        self.conn, self.dir = conn, tempfile.mkdtemp(prefix="btxh-payroll-")
        self.paths = [str(Path(self.dir) / f"w{k}.db") for k in range(n)]
        for k, path in enumerate(self.paths):
            sqlite3.connect(path).close()
            conn.execute("ATTACH DATABASE ? AS ?", [path, f"pay_w{k}"])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for k in range(len(self.paths)):
            try:
                self.conn.execute(f"DETACH DATABASE pay_w{k}")
            except sqlite3.Error:
                pass
        for path in self.paths:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        os.rmdir(self.dir)

    def compute(self, db_path: str, engine: Engine, month: int, provinces: list[str]) -> list[int]:
        """Fork one worker per scratch file; each fills ``pay_wK.due`` and ``pay_wK.care``."""
        n = len(self.paths)
        children = []
        for k, path in enumerate(self.paths):
            pid = os.fork()
            if pid == 0:  # worker: never touch the parent's connection
                code = 1
                try:
                    conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
                    conn.execute("PRAGMA temp_store = MEMORY")
                    fastpath.compute(conn, engine, month, provinces, shard=(k, n))
                    conn.execute("ATTACH DATABASE ? AS out", [path])
                    conn.execute("CREATE TABLE out.due AS SELECT * FROM temp.pay_due")
                    fastpath.compute_care(conn, engine, month, f"pe.id % {n} = {k}")
                    conn.execute("CREATE TABLE out.care AS SELECT * FROM temp.pay_care")
                    conn.commit()
                    conn.close()
                    code = 0
                finally:
                    os._exit(code)
            children.append(pid)
        failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
        if failed:
            raise RuntimeError(f"payroll worker(s) failed: {failed}")
        return list(range(n))
