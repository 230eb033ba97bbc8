"""Write a batch's grades into an nbgrader gradebook with SQLAlchemy Core.

The gradebook is nbgrader's own database: its tables are *reflected* from it (never declared
here), and rows are created with exactly the values nbgrader's ORM gives them
(``Gradebook.add_submission``: one ``submitted_notebook`` per notebook of the assignment, a
``grade`` per grade and task cell, a ``comment`` per solution and task cell, uuid4-hex ids,
``flagged`` false, ``needs_manual_grade`` true until scored), so ``nbgrader export``,
formgrader and later ``nbgrader autograde`` runs read them as their own. Importing nbgrader
costs about 3 s of CPU (its package imports the Jupyter server extensions), which a grading
batch would pay while the workers need the cores; :func:`autograder.course_dir.record_results`
imports it only to *create* a missing gradebook.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import MetaData, Table, bindparam, create_engine, inspect, select
from sqlalchemy.engine import Connection

TABLES = ("assignment", "notebook", "base_cell", "student", "submitted_assignment",
          "submitted_notebook", "grade", "comment")  # fmt: skip
GRADED_TYPES = ("GradeCell", "TaskCell")  # cells with a Grade row (nbgrader's grade/task cells)
COMMENTED_TYPES = ("SolutionCell", "TaskCell")  # cells with a Comment row


class MissingAssignment(LookupError):
    """The assignment is not in the gradebook (``generate`` was not run)."""


def parse_utc(text: str) -> dt.datetime:
    """nbgrader.utils.parse_utc for timestamp.txt text: naive UTC (raises ValueError)."""
    import dateutil.parser
    import dateutil.tz

    parts = text.split(" ")
    if len(parts) == 3:
        tz: Any
        try:
            tz = int(parts[2])
        except ValueError:
            tz = dateutil.tz.gettz(parts[2])
        ts = dateutil.parser.parse(" ".join([*parts[:2], "TZ"]), tzinfos={"TZ": tz})
    else:
        ts = dateutil.parser.parse(text)
    if ts.tzinfo is not None:
        offset = ts.utcoffset()
        ts = (ts - offset if offset is not None else ts).replace(tzinfo=None)
    return ts


def new_id() -> str:
    """nbgrader.api.new_uuid."""
    return uuid.uuid4().hex


class GradebookWriter:
    """One open transaction on the gradebook; see the module docstring."""

    def __init__(self, conn: Connection, tables: dict[str, Table]) -> None:
        self.conn, self.t = conn, tables

    def assignment_id(self, name: str) -> str:
        a = self.t["assignment"]
        found = self.conn.execute(select(a.c.id).where(a.c.name == name)).scalar()
        if found is None:
            raise MissingAssignment(name)
        return str(found)

    def ensure_submissions(self, assignment_id: str, stamps: dict[str, dt.datetime | None]) -> None:
        """Create the students and submissions nbgrader's add_submission would, set stamps."""
        t, conn = self.t, self.conn
        students = list(stamps)
        known = set(
            conn.execute(select(t["student"].c.id).where(t["student"].c.id.in_(students))).scalars()
        )
        new_students = [{"id": s} for s in sorted(set(students) - known)]
        if new_students:
            conn.execute(t["student"].insert(), new_students)
        sa = t["submitted_assignment"]
        subs = dict(
            conn.execute(
                select(sa.c.student_id, sa.c.id).where(sa.c.assignment_id == assignment_id)
            ).all()
        )
        fresh = [sid for sid in students if sid not in subs]
        if fresh:
            rows = [{"id": new_id(), "assignment_id": assignment_id, "student_id": sid,
                     "timestamp": stamps[sid], "extension": None} for sid in fresh]  # fmt: skip
            conn.execute(sa.insert(), rows)
            self._add_notebooks(assignment_id, [r["id"] for r in rows])
        stamped = [{"sid": subs[s], "ts": stamps[s]} for s in students if s in subs and stamps[s]]
        if stamped:
            conn.execute(
                sa.update().where(sa.c.id == bindparam("sid")).values(timestamp=bindparam("ts")),
                stamped,
            )

    def _add_notebooks(self, assignment_id: str, submission_ids: list[str]) -> None:
        t, conn = self.t, self.conn
        nb, cell = t["notebook"], t["base_cell"]
        notebooks = (
            conn.execute(select(nb.c.id).where(nb.c.assignment_id == assignment_id)).scalars().all()
        )
        cells = conn.execute(
            select(cell.c.id, cell.c.notebook_id, cell.c.type).where(cell.c.notebook_id.in_(notebooks))
        ).all()  # fmt: skip
        snbs, grades, comments = [], [], []
        for sub_id in submission_ids:
            for nb_id in notebooks:
                snb = new_id()
                snbs.append({"id": snb, "assignment_id": sub_id, "notebook_id": nb_id,
                             "flagged": False, "late_submission_penalty": None})  # fmt: skip
                for cell_id, cell_nb, kind in cells:
                    if cell_nb != nb_id:
                        continue
                    if kind in GRADED_TYPES:
                        grades.append({"id": new_id(), "notebook_id": snb, "cell_id": cell_id,
                                       "auto_score": None, "manual_score": None,
                                       "extra_credit": None, "needs_manual_grade": True})  # fmt: skip
                    if kind in COMMENTED_TYPES:
                        comments.append({"id": new_id(), "notebook_id": snb, "cell_id": cell_id,
                                         "auto_comment": None, "manual_comment": None})  # fmt: skip
        for name, rows in (("submitted_notebook", snbs), ("grade", grades), ("comment", comments)):
            if rows:
                conn.execute(t[name].insert(), rows)

    def rows(self, assignment_id: str, students: Iterable[str], table: str) -> dict[tuple, Any]:
        """(student, notebook name, cell name) -> row of ``grade`` or ``comment``."""
        t = self.t
        model, sa, snb, nb, cell = (t[table], t["submitted_assignment"], t["submitted_notebook"],
                                    t["notebook"], t["base_cell"])  # fmt: skip
        types = GRADED_TYPES if table == "grade" else COMMENTED_TYPES
        query = (
            select(model, sa.c.student_id, nb.c.name.label("nb_name"), cell.c.name.label("cell_name"))
            .join(cell, cell.c.id == model.c.cell_id)
            .join(snb, snb.c.id == model.c.notebook_id)
            .join(nb, nb.c.id == snb.c.notebook_id)
            .join(sa, sa.c.id == snb.c.assignment_id)
            .where(sa.c.assignment_id == assignment_id, sa.c.student_id.in_(list(students)))
            .where(cell.c.type.in_(types))
        )  # fmt: skip
        return {(r.student_id, r.nb_name, r.cell_name): r for r in self.conn.execute(query)}

    def update_grades(self, updates: list[dict[str, Any]]) -> None:
        """``[{"gid", "auto", "review"}]`` -> auto_score and needs_manual_grade."""
        g = self.t["grade"]
        if updates:
            stmt = g.update().where(g.c.id == bindparam("gid"))
            self.conn.execute(stmt.values(auto_score=bindparam("auto"),
                                          needs_manual_grade=bindparam("review")), updates)  # fmt: skip

    def update_comments(self, updates: list[dict[str, Any]]) -> None:
        """``[{"cid", "text"}]`` -> auto_comment."""
        c = self.t["comment"]
        if updates:
            stmt = c.update().where(c.c.id == bindparam("cid"))
            self.conn.execute(stmt.values(auto_comment=bindparam("text")), updates)


def open_tables(db_url: str) -> tuple[Any, dict[str, Table] | None]:
    """(engine, nbgrader's reflected tables), or (engine, None) when the schema is missing."""
    engine = create_engine(db_url, future=True)
    if not set(TABLES) <= set(inspect(engine).get_table_names()):
        return engine, None
    meta = MetaData()
    meta.reflect(bind=engine, only=list(TABLES))
    return engine, {name: meta.tables[name] for name in TABLES}
