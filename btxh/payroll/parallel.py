"""Share a national month's fast path between processes (one per core).

The run's connection ATTACHes one empty scratch file per worker *before* its transaction;
each forked worker opens the database read-only, computes its shard of the people
(``fastpath.compute(..., shard=(k, n))``, then its carers' care support) and writes
``due`` and ``care`` into its scratch file; the run then inserts from the attached files
inside its one transaction. Meanwhile (a core the insert leaves idle) each worker groups its
lines for the report cells into a file of its own (``summary.partial_groups``: grouped rows
add up, so the shards' rows together are the run's), and the run scans only the lines it
writes itself (arrears, funerals) for its cells. Workers only read committed
data; the run's transaction has already taken the write lock, so nothing can change under
them. POSIX only (fork); elsewhere, and for scoped runs, the run computes in-process.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from ..reports import summary
from ..rules import Engine
from ..rules.dates import month_str
from . import fastpath

MIN_PERSONS = 500_000  # below this, forking costs more than it saves


def workers_for(conn, scope) -> int:
    if scope is not None or os.name != "posix" or not hasattr(os, "fork"):
        return 1
    if conn.execute("SELECT count(*) FROM persons").fetchone()[0] < MIN_PERSONS:
        return 1
    return min(os.cpu_count() or 1, 4)


class Scratch:
    """Scratch files attached to ``conn`` as pay_w0…; removed on exit (with the workers'
    cells files, which are not attached)."""

    def __init__(self, conn, n: int):
        self.conn, self.dir = conn, tempfile.mkdtemp(prefix="btxh-payroll-")
        self.paths = [str(Path(self.dir) / f"w{k}.db") for k in range(n)]
        self.cells_paths = [str(Path(self.dir) / f"c{k}.db") for k in range(n)]
        self.children: list[int] = []
        for k, path in enumerate(self.paths):
            sqlite3.connect(path).close()
            conn.execute("ATTACH DATABASE ? AS ?", [path, f"pay_w{k}"])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._reap()
        for k in range(len(self.paths)):
            try:
                self.conn.execute(f"DETACH DATABASE pay_w{k}")
            except sqlite3.Error:
                pass
        for path in self.paths + self.cells_paths:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
        os.rmdir(self.dir)

    def _reap(self) -> list[int]:
        """Wait for every worker; the ids of those that failed."""
        failed = [pid for pid in self.children if os.waitpid(pid, 0)[1] != 0]
        self.children = []
        return failed

    def compute(self, db_path: str, engine: Engine, month: int, provinces: list[str]) -> list[int]:
        """Fork one worker per scratch file; return once each has filled ``pay_wK.due`` and
        ``pay_wK.care``. The workers then group those lines for the report cells (into files
        of their own) while the run inserts the lines: :meth:`cells` waits for them."""
        n = len(self.paths)
        ready = []
        for k, path in enumerate(self.paths):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # worker: never touch the parent's connection
                code = 1
                try:
                    os.close(r)
                    conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
                    conn.execute("PRAGMA temp_store = MEMORY")
                    fastpath.compute(conn, engine, month, provinces, shard=(k, n))
                    conn.execute("ATTACH DATABASE ? AS out", [path])
                    conn.execute("CREATE TABLE out.due AS SELECT * FROM temp.pay_due")
                    fastpath.compute_care(conn, engine, month, f"pe.id % {n} = {k}")
                    conn.execute("CREATE TABLE out.care AS SELECT * FROM temp.pay_care")
                    conn.commit()
                    conn.execute("DETACH DATABASE out")
                    os.write(w, b"1")  # the lines are ready; the run may read them now
                    os.close(w)
                    groups = summary.partial_groups(conn, month_str(month), "temp.pay_due", "temp.pay_care")
                    conn.execute("ATTACH DATABASE ? AS cells", [self.cells_paths[k]])
                    conn.execute(f"CREATE TABLE cells.cells ({summary.GROUP_COLUMNS})")
                    conn.executemany(f"INSERT INTO cells.cells VALUES ({', '.join('?' * 10)})", groups)
                    conn.commit()
                    conn.close()
                    code = 0
                finally:
                    os._exit(code)
            os.close(w)
            self.children.append(pid)
            ready.append(r)
        done = []
        for r in ready:
            done.append(os.read(r, 1) == b"1")
            os.close(r)
        if not all(done):
            raise RuntimeError(f"payroll worker(s) failed: {self._reap()}")
        return list(range(n))

    def cells(self) -> list[tuple]:
        """Wait for the workers; their lines grouped for the report cells (``summary.partial_groups``)."""
        failed = self._reap()
        if failed:
            raise RuntimeError(f"payroll worker(s) failed: {failed}")
        groups = []
        for path in self.cells_paths:
            conn = sqlite3.connect(path)
            try:
                groups += conn.execute("SELECT * FROM cells").fetchall()
            finally:
                conn.close()
        return groups
