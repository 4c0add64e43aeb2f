"""The query string of the public pages, read the same way everywhere (issue 12 §6).

A value that a filter cannot use is ignored, as docs/open-data.md promises — except a NUL
character: PostgreSQL cannot compare text holding one, so no search could run, and a request
carrying one is answered 400 with a page naming the parameter (core.views.bad_request)."""

from django.core.exceptions import BadRequest
from django.http import QueryDict


class BadQueryParameter(BadRequest):
    """A query parameter no public page can use; `parameter` is its name."""

    def __init__(self, parameter: str) -> None:
        super().__init__(parameter)
        self.parameter = parameter


def query_value(params: QueryDict, name: str) -> str:
    """The parameter's value ("" when absent, the last one when repeated); 400 for a NUL."""
    value = params.get(name, "")
    if "\x00" in value:
        raise BadQueryParameter(name)
    return value
