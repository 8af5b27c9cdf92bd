"""Typing helpers: the documented visitor fields, for editors and type checkers."""

from __future__ import annotations

from typing import Any, Mapping, Sequence, TypedDict, Union

__all__ = ["Visitor", "VisitorInput"]


class Visitor(TypedDict, total=False):
    """A visitor (the API's VisitorNewSubmit) with snake_case keys.

    Only ``phone_number`` is required for listener posts; a message's visitor needs a
    ``client_visitor_id`` or a ``phone_number``. Keys not listed here are sent as they are
    (the API keeps adding fields), and so is everything inside ``extended_attributes``.
    """

    client_visitor_id: str
    #: One id, or several with the primary first.
    agent_client_user_id: Union[str, Sequence[str]]
    team_code: str
    first_name: str
    last_name: str
    email: str
    phone_number: str
    #: US state, DC or territory code ("NC").
    state: str
    #: IANA time zone ("America/New_York"), used for quiet hours.
    tz_name: str
    delivery_status: int
    extended_attributes: Mapping[str, Any]


#: What the operations accept as a visitor: a :class:`Visitor` or any mapping of field names
#: (snake_case or the API's camelCase) to values.
VisitorInput = Union[Visitor, Mapping[str, Any]]
