"""The one exception type services raise; its message is translatable and shown to the user."""


class ServiceError(Exception):
    """A rule of the domain refused the operation. `message` is already translated text."""

    def __init__(self, message, *, code: str = "invalid", exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.exit_code = exit_code

    def __str__(self) -> str:
        return str(self.message)


class CalendarMissing(ServiceError):
    """A working-day computation needs a year that has no complete calendar (SPEC §6)."""

    def __init__(self, year: int) -> None:
        from django.utils.translation import gettext as _

        super().__init__(
            _(
                "%(year)s 年的工作日历尚未录入或未标记为完整，无法计算工作日。请先在“工作日历”中录入该年的节假日安排。"
            )
            % {"year": year},
            code="calendar_missing",
            exit_code=2,
        )
        self.year = year


class EmailDeferred(ServiceError):
    """The mail server could not take an e-mail now (down, or a temporary refusal); it stays in the
    outbox as pending and the task that sends it retries later (core.mail)."""

    def __init__(self, message) -> None:
        super().__init__(message, code="email_deferred")
