"""Indexes for the public search at national scale (bench/public_load.py): part of a name, through
a trigram index on UPPER(target_name) — what Django's icontains compares on PostgreSQL — and the
result and year filters with the newest-first order. PostgreSQL only (pg_trgm is a trusted
extension: the database owner may create it)."""

from django.db import migrations

INDEXES = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS notice_name_trgm ON publication_resultnotice
    USING gin (UPPER(target_name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS notice_public_category ON publication_resultnotice
    (status, category, published_at DESC);
CREATE INDEX IF NOT EXISTS notice_public_year ON publication_resultnotice
    (status, year, published_at DESC);
"""
DROP = """
DROP INDEX IF EXISTS notice_public_year;
DROP INDEX IF EXISTS notice_public_category;
DROP INDEX IF EXISTS notice_name_trgm;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEXES, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("publication", "0001_result_notices_publications_feed")]
    operations = [migrations.RunPython(create, drop)]
