"""Custom member fields that plugins declare through ``register_member_fields``."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import CustomValue
from cpnetwork.model import _validators as v


class FieldType(v.Choice):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"


_PYTHON_TYPES: dict[FieldType, tuple[type, ...]] = {
    FieldType.TEXT: (str,),
    FieldType.INTEGER: (int,),
    FieldType.NUMBER: (int, float),
    FieldType.BOOLEAN: (bool,),
}


@frozen(kw_only=True)
class CustomField:
    """A member field a plugin adds: its name, type, and what values it accepts."""

    name: str = field(validator=v.non_empty)
    type: FieldType = field(default=FieldType.TEXT, converter=FieldType)
    required: bool = False
    choices: tuple[CustomValue, ...] = ()
    description: str = ""
    #: Extra check returning the reason a value is refused, or None.
    check: Callable[[CustomValue], str | None] | None = field(default=None, eq=False)

    def problem(self, value: CustomValue) -> str | None:
        """Why ``value`` does not fit this field, or None."""
        if value is None:
            return f"{self.name} is required" if self.required else None
        expected = _PYTHON_TYPES[self.type]
        if isinstance(value, bool) and self.type is not FieldType.BOOLEAN:
            return f"{self.name} must be {self.type.value}, got {value!r}"
        if not isinstance(value, expected):
            return f"{self.name} must be {self.type.value}, got {value!r}"
        if self.choices and value not in self.choices:
            return f"{self.name} must be one of {list(self.choices)}, got {value!r}"
        return self.check(value) if self.check else None


def validate_custom(
    fields: Mapping[str, CustomField], values: Mapping[str, CustomValue], member_id: str
) -> None:
    """Refuse unknown fields, missing required ones and values of the wrong kind."""
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValidationError(
            "Member", member_id, f"unknown custom fields {unknown}", field="custom"
        )
    for name, spec in fields.items():
        reason = spec.problem(values.get(name))
        if reason:
            raise ValidationError("Member", member_id, reason, field=f"custom.{name}")
