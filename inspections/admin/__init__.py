"""The supervision office's screens for plans, tasks and draws (SPEC §2–§3), in Chinese.

Split like inspections.models and inspections.services: plans (plan, sections, revisions), tasks
(application and the unit head's approval) and draws (announce, execute, immediate, re-draw and the
read-only record; what its pages show is in draw_detail), re-draw requests (redraws), and after the
visits the records, report, feedback, ledger and filing (reports). plans and reports are packages,
one module per part; common holds what the screens share. Every write goes through
inspections.services; a ServiceError's message is shown. Importing this package registers each
admin once.
"""

from inspections.admin import draws, plans, redraws, reports, tablets, tasks

__all__ = ["draws", "plans", "redraws", "reports", "tablets", "tasks"]
