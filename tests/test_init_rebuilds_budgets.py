"""`btxh init` computes the budget of closed runs that have none (the data step migration
m011 used to run with the reports' code), idempotently, through the normal code path."""

from __future__ import annotations

from click.testing import CliRunner

from btxh import cli
from btxh.payroll import run as payroll
from test_payroll import add_person

BUDGET = "SELECT run_id, month, count(*), sum(tenths) FROM report_budget GROUP BY run_id, month ORDER BY 1, 2"


def test_init_on_a_database_whose_closed_run_lacks_its_budget_computes_it_once(ref_db):
    db = ref_db
    db.execute("DELETE FROM payroll_dirty")
    add_person(db, birth="1970-01-10", category="K6", level="DBN", start="2021-07")
    payroll.run(db, "2026-09")
    payroll.close(db, "2026-09")
    made_at_close = db.execute(BUDGET).fetchall()
    assert made_at_close
    db.execute("DELETE FROM report_budget")      # as a database upgraded by a release whose m011
    db.execute("DELETE FROM report_budget_runs")  # only marked what must be rebuilt
    db.conn.commit()
    path = db.execute("PRAGMA database_list").fetchone()[2]
    for _ in range(2):  # idempotent
        result = CliRunner().invoke(cli.cli, ["init", path])
        assert result.exit_code == 0, result.output
        assert db.execute(BUDGET).fetchall() == made_at_close
        assert db.execute("SELECT count(*) FROM report_budget_runs").fetchone()[0] == 1
