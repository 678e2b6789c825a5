"""Programs and their enrollment policies."""

from __future__ import annotations

from typing import Unpack

from attrs import evolve

from cpnetwork.events import ProgramCreated, ProgramUpdated, changed_fields
from cpnetwork.model import Organization, Program
from cpnetwork.model.arguments import ProgramChanges, ProgramFields
from cpnetwork.services import seats
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork, require
from cpnetwork.storage import Where


class ProgramService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def _check_links(self, uow: UnitOfWork, program: Program) -> None:
        uow.require_all(Organization, (*program.host_ids, *program.partner_ids))

    def current_year(self) -> int:
        """The program year today falls in, on the network's clock and in its zone."""
        return self._context.profile.program_year(self._context.today())

    def create(self, **fields: Unpack[ProgramFields]) -> Program:
        """Create a program; ``program_year`` defaults to the current one."""
        fields.setdefault("program_year", self.current_year())
        program = Program(**fields)
        with self._context.unit_of_work() as uow:
            self._check_links(uow, program)
            uow.tx.insert(program)
            uow.emit(ProgramCreated(at=uow.now, program_id=program.id))
        return program

    def get(self, program_id: str) -> Program:
        with self._context.reading() as tx:
            return require(tx, Program, program_id)

    def find(self, where: Where | None = None) -> list[Program]:
        with self._context.reading() as tx:
            return tx.find(Program, where, order_by=("program_year", "title"))

    def update(
        self, program_id: str, *, actor: str = "network", **changes: Unpack[ProgramChanges]
    ) -> Program:
        """Change a program; more capacity offers the freed seats to the waitlist."""
        with self._context.unit_of_work() as uow:
            uow.tx.lock(Program, program_id)
            before = uow.require(Program, program_id)
            program = evolve(before, **changes)
            self._check_links(uow, program)
            uow.tx.update(program)
            changed = changed_fields(before, program)
            uow.emit(ProgramUpdated(at=uow.now, program_id=program_id, changed=changed))
            seats.fill_freed_seats(uow, program, actor=actor)
        return program
