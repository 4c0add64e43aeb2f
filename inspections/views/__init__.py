"""The views of the inspections app: the inspectors' screens on /inspect/ (`inspect`,
`report_review`, routed by inspections/urls_inspect.py). The public pages of plans and draws are
publication's (publication/views/plans.py, draws.py)."""
