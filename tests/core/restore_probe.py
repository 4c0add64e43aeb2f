"""Run (`python -m tests.core.restore_probe OUT_DIR`) in a process on the restored database (tests/core/test_backups.py): fetch, as a citizen
does, the public document of every executed draw (/draws/<id>.json) and write each into OUT_DIR,
one file per draw, for tools/verify_draw.py to check. Prints the number of files written."""

import sys
from pathlib import Path

import django

django.setup()

from django.test import Client  # noqa: E402

from inspections.models import Draw  # noqa: E402

out = Path(sys.argv[1])
client = Client()
draws = Draw.objects.filter(status=Draw.Status.EXECUTED, verifiable=True).order_by("pk")
for draw in draws:
    response = client.get(f"/draws/{draw.pk}.json")
    assert response.status_code == 200, (draw.pk, response.status_code)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    (out / f"draw-{draw.pk}.json").write_bytes(content)
print(draws.count())
