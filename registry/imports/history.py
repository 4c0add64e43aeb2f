"""History rows for bulk imports, copied by the database itself (django-simple-history's tables).

`bulk_history_create` builds a second model instance per row in Python, which doubles the cost of
a national-scale import; an INSERT … SELECT copies the same tracked columns server-side, with the
same who/when/why (Y4(2): traceable changes)."""

import datetime as dt

from django.db import connection, models


def history_copy(
    *,
    model: type[models.Model],
    ids: list[int],
    history_type: str,
    user,
    reason: str,
    when: dt.datetime,
) -> None:
    """One history row per id, as simple-history would write it ('+' created, '~' changed)."""
    if not ids:
        return
    history = model.history.model
    quote = connection.ops.quote_name
    tracked = [f.column for f in history._meta.local_fields if not f.name.startswith("history_")]
    columns = ", ".join(quote(c) for c in tracked)
    insert = (
        f"INSERT INTO {quote(history._meta.db_table)} ({columns}, {quote('history_date')}, "
        f"{quote('history_change_reason')}, {quote('history_type')}, {quote('history_user_id')}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} IN "
    )
    user_id = user.pk if user is not None else None
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            cursor.execute(
                insert + "(" + ", ".join(["%s"] * len(chunk)) + ")",
                [when, reason, history_type, user_id, *chunk],
            )
