# syntax=docker/dockerfile:1
# One image for every process: the web process by default (uvicorn), `runbot` and `runworker`
# by their command (compose.yaml). Build: docker build -t consult-assistant .

# --- Wheels of the dependencies pyproject.toml names, built apart from the image that runs ---
FROM python:3.11-slim AS builder
WORKDIR /build
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# --- The image that runs: the wheels installed, the source, the static files ----------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN --mount=type=bind,from=builder,source=/build/requirements.txt,target=/tmp/requirements.txt \
    --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels -r /tmp/requirements.txt \
    && useradd --system --uid 10001 --no-create-home --home-dir /app app
# The code belongs to root: the app reads it and writes only its logs.
COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && mkdir -p logs && chown 10001 logs
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000"]
