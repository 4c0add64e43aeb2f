# Production image for 双随机、一公开: gunicorn serves config.wsgi; the same image runs the Celery
# worker and beat (see docker-compose.yml and docs/deployment.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    TZ=Asia/Shanghai \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    MEDIA_ROOT=/app/var/media

# WeasyPrint's native libraries, a CJK font so Chinese PDFs render, gettext for compilemessages, and
# pg_dump/pg_restore of the database's major version (postgres:15) for manage.py backup/restore.
# fontconfig (fc-cache) builds the font cache once here rather than in every worker; tzdata backs
# Asia/Shanghai.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 \
        shared-mime-info fonts-noto-cjk gettext fontconfig tzdata postgresql-client-15 \
    && fc-cache -f \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid so the ownership of the media volume stays stable across rebuilds.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app app

WORKDIR /app

# Dependencies first, so code changes reuse this layer: exactly the files of requirements.lock,
# each checked against its SHA-256 (a tampered mirror or a re-uploaded release fails the build;
# issue 14 §5, `make lock` regenerates it). Then the project without resolving anything again:
# `[tool.setuptools] packages = []`, the wheel holds no code; the apps run from /app.
# PIP_INDEX_URL: a nearer mirror can be chosen at build time (docs/deployment.md); it is not a secret
# store (build arguments are visible in the image history). ARG values reach the RUN environment.
ARG PIP_INDEX_URL=https://pypi.org/simple
COPY pyproject.toml requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock \
    && pip install --no-deps . && rm -rf build *.egg-info

COPY . .

# Production settings refuse to start without these four; the values exist only for this build step
# (neither command opens the database or any personal data) and are not kept in the image.
RUN SECRET_KEY=build-only-not-secret \
    PII_KEYS=YnVpbGQtb25seS1ub3Qtc2VjcmV0LTMyLWJ5dGVzISE= \
    DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    ALLOWED_HOSTS=localhost \
    sh -c 'python manage.py compilemessages -v 0 && python manage.py collectstatic --noinput -v 0' \
    && install -d -o app -g app /app/var/media

USER app

EXPOSE 8000

# Workers: override WEB_CONCURRENCY (or the whole GUNICORN_CMD_ARGS) in .env. The long timeout leaves
# room for PDF rendering; /dev/shm keeps worker heartbeats off the container's overlay filesystem.
ENV WEB_CONCURRENCY=3 \
    GUNICORN_CMD_ARGS="--timeout 120 --graceful-timeout 30 --max-requests 1000 --max-requests-jitter 100 --worker-tmp-dir /dev/shm --access-logfile -"

# The public pages at / must answer 2xx/3xx. The Host header is taken from ALLOWED_HOSTS, because
# Django answers 400 to an unlisted host such as 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:8000/', headers={'Host': h, 'X-Forwarded-Proto': 'https'}), timeout=8)"]

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000"]
