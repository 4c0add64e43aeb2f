"""The supervision office's screens for plans, tasks and draws (SPEC §2–§3), in Chinese.

Split like inspections.models and inspections.services: plans (plan, sections, revisions), tasks
(application and the unit head's approval) and draws (announce, execute, immediate, re-draw and the
read-only record), and after the visits the report, feedback, ledger and filing (reports). Every write goes through inspections.services; a ServiceError's message is shown.
"""

from inspections.admin import draws, plans, redraws, reports, tasks

__all__ = ["draws", "plans", "redraws", "reports", "tasks"]
