"""Domain exceptions. Services raise them; web/errors.py maps them to pages once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def headers(self) -> dict[str, str]:
        """Response headers that go with this refusal, wherever it is answered."""
        return {}


class NotFound(DomainError):
    """Missing or not visible to this person: the two look the same from outside."""

    status_code = 404


class NotAllowed(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class TransitionRefused(DomainError):
    status_code = 409

    def __init__(self, message: str, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = tuple(reasons)


class Throttled(DomainError):
    """Over a rate limit; ``retry_after`` (seconds) is sent as the Retry-After header."""

    status_code = 429

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class FormInvalid(DomainError):
    """A form that did not validate: field → message, and the values to show again."""

    status_code = 422

    def __init__(
        self, errors: Mapping[str, str], values: Mapping[str, object] | None = None
    ) -> None:
        super().__init__("表单有误，请检查后重新提交")
        self.errors = dict(errors)
        self.values = dict(values or {})


class FormRefused(FormInvalid):
    """A form this person may not submit as filled in: shown again in place, with a 403."""

    status_code = 403


class StateRefused(FormInvalid):
    """A form whose move a state machine refused: shown again in place, the gate's reasons
    beside ``field``, with a 409."""

    status_code = 409

    def __init__(
        self,
        refused: TransitionRefused,
        field: str = "_form",
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__({field: "；".join(refused.reasons or (refused.message,))}, values)
        self.message = refused.message
