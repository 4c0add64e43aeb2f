"""The demo's story of Yuzhong district, told through the same imports and services as the bureau's
own work: the registries, the 2026 plan and its draws, the fieldwork, the results published."""
