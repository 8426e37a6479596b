"""The shape of a billing webhook's event, checked before anything of it is stored.

A correctly signed event can still be malformed (a bug or a test on the
sender's side, a leaked secret): every field the handlers in
:mod:`tickerpulse.platform.billing` read is typed and bounded here to what its
column holds, so such an event is refused with a reason (400) and never
reaches the database as a 500. Fields the handlers do not read pass through.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

INT4_MAX = 2**31 - 1
LAST_UNIX_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second datetime can hold
Id = Annotated[str, StringConstraints(min_length=1, max_length=120)]
Cents = Annotated[int, Field(ge=0, le=INT4_MAX)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Price(_Open):
    """A subscription item's price."""

    id: Id | None = None


class Item(_Open):
    """A subscription item."""

    price: Price | None = None


class Items(_Open):
    """A subscription's items."""

    data: list[Item] = []


class EventObject(_Open):
    """The fields of a checkout session, subscription, invoice or charge the handlers read."""

    id: Id | None = None
    customer: Id | None = None
    subscription: Id | None = None
    client_reference_id: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,18}$")] | None = None
    metadata: dict[str, Annotated[str, StringConstraints(max_length=500)]] | None = None
    status: Annotated[str, StringConstraints(max_length=32)] | None = None
    """A checkout session's, invoice's or charge's status is stored nowhere; a
    subscription's is, so :class:`Event` holds it to Stripe's subscription statuses."""
    items: Items | None = None
    amount_paid: Cents | None = None
    amount_refunded: Cents | None = None
    currency: Annotated[str, StringConstraints(max_length=8)] | None = None
    current_period_end: Annotated[int, Field(ge=0, le=LAST_UNIX_SECOND)] | None = None


SUBSCRIPTION_STATUSES = frozenset(
    [
        "incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled",
        "unpaid", "paused",
    ]
)  # fmt: skip


class EventData(_Open):
    """An event's payload."""

    object: EventObject = EventObject()


class Event(_Open):
    """A Stripe-format event."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: Annotated[str, StringConstraints(max_length=64)] = ""
    data: EventData = EventData()

    @model_validator(mode="after")
    def _subscription_status(self) -> Event:
        status = self.data.object.status
        subscription = self.type.startswith("customer.subscription.")
        if subscription and status is not None and status not in SUBSCRIPTION_STATUSES:
            raise ValueError(f"unknown subscription status {status[:32]!r}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, str) and "\x00" in item:
                raise ValueError("a NUL character in the event (it cannot be stored)")
            if isinstance(item, dict):
                pending += [*item.keys(), *item.values()]
            elif isinstance(item, list):
                pending += item
        return value


def parse_event(payload: str) -> dict[str, Any]:
    """Parse and check a webhook body; the event as a plain dict of what it said.

    Raises:
        ValueError: If the body is not JSON or not a well-formed event (with the reason).
    """
    try:
        raw = json.loads(payload)
    except RecursionError:
        raise ValueError("the event is nested too deeply") from None
    event: dict[str, Any] = Event.model_validate(raw).model_dump(exclude_unset=True)
    return event
