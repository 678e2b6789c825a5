"""Statements compiled once and run straight on the driver's cursor.

The calls an application makes most (a record by id, a find of plain equalities, one
record inserted or updated) repeat the same few statements with new values.  Running
one through SQLAlchemy's execution path (cache key, execution context, result object)
costs several times what the driver takes to run it on SQLite, so these statements are
compiled once per dialect into a :class:`Prepared`: the SQL text, the order of its
parameters, and the bind and result processors of its types.  Those processors are
SQLAlchemy's own, so values are converted exactly as through a Core ``execute``.

A prepared statement runs on the DB-API connection under the transaction's
``sa.Connection``, inside the transaction SQLAlchemy began.  The engine's
``before_cursor_execute`` and ``after_cursor_execute`` listeners are still called (with
no execution context), so statement counts and tracing see every statement.  Driver
errors come through unwrapped; the store's ``translated`` blocks name them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from cpnetwork.storage.sql_types import json_loads

Processor = Callable[[Any], Any]


class Prepared:
    """One Core statement compiled for one dialect, run with new values each time."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a prepared statement takes no expanding (IN) parameters")
        #: The SQL text the driver runs.
        self.sql = compiled.string
        self._dialect = dialect
        #: Values the statement binds itself (literals in a where clause, defaults).
        self._fixed = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        self._bind: dict[str, Processor] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._bind[name] = processor
        positions = compiled.positiontup if compiled.positional else None
        self._order: tuple[str, ...] | None = tuple(positions) if positions else None
        returned = getattr(statement, "exported_columns", ())
        self._result_types = [column.type for column in returned]
        self._result: list[tuple[int, Processor]] | None = None

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters: bound values processed, in the statement's order."""
        merged = {**self._fixed, **values} if self._fixed else dict(values)
        for name, processor in self._bind.items():
            merged[name] = processor(merged[name])
        if self._order is None:
            return merged
        return [merged[name] for name in self._order]

    def execute(self, connection: sa.Connection, values: Mapping[str, Any]) -> Any:
        """Run on the transaction's connection; returns the DB-API cursor."""
        return run_on_driver(connection, self.sql, self.parameters(values))

    def rows(self, cursor: Any) -> list[tuple[Any, ...]]:
        """Every row of the cursor, each value through its type's result processor."""
        fetched = cursor.fetchall()
        processors = self._processors(cursor)
        cursor.close()
        if not processors:
            return fetched if isinstance(fetched, list) else list(fetched)
        rows = []
        for row in fetched:
            values = list(row)
            for index, process in processors:
                value = values[index]
                if value is not None:
                    values[index] = process(value)
            rows.append(tuple(values))
        return rows

    def _processors(self, cursor: Any) -> list[tuple[int, Processor]]:
        """The result processors by column position, for the columns that have one."""
        # The driver's type codes pick some processors (PostgreSQL numerics), so they
        # are made from the first result's description.
        if self._result is None:
            codes = [column[1] for column in cursor.description or ()]
            dialect = self._dialect
            made = [
                _result_processor(kind, dialect, code)
                for kind, code in zip(self._result_types, codes, strict=True)
            ]
            self._result = [(index, p) for index, p in enumerate(made) if p is not None]
        return self._result


def _result_processor(kind: sa.types.TypeEngine[Any], dialect: Dialect, code: Any) -> Any:
    impl = kind.dialect_impl(dialect)
    processor = impl.result_processor(dialect, code)
    if processor is not None and isinstance(impl, sa.JSON):
        # What SQLAlchemy's JSON processor calls for a value that is not None (the
        # json_deserializer every engine of the library is made with, see
        # sql_engine), without its two layers around it.
        return json_loads
    return processor


def run_on_driver(connection: sa.Connection, sql: str, parameters: Any = ()) -> Any:
    """Run ``sql`` on the connection's DB-API cursor, telling the engine's cursor listeners.

    The engine's own listeners, where tracing and ``sent_statements`` listen: the store's
    connections are its own, so none has listeners of its own, and asking the engine
    costs a third of asking a connection (which joins its listeners to the engine's).
    """
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    dispatch = connection.engine.dispatch
    before, after = dispatch.before_cursor_execute, dispatch.after_cursor_execute
    if before:
        before(connection, cursor, sql, parameters, None, False)
    cursor.execute(sql, parameters)
    if after:
        after(connection, cursor, sql, parameters, None, False)
    return cursor
