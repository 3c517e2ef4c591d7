# Lắng Nghe images, multi-stage; both final stages run as a non-root user.
#   docker build -t langnghe:0.1.0 .                                  # web app + engine (default)
#   docker build -t langnghe-airflow:0.1.0 --target airflow .         # Airflow 3 + the package
# The two differ only in their dependency locks: Airflow 3.3.2 pins fastapi<0.137 while the web
# app pins fastapi 0.163.2 (see scripts/airflow-requirements.in). The package is installed
# editable from /app in both, so the paths it computes from its checkout (config/,
# index_mappings/, dashboards/, the crawl subprocess) are the same as in a development clone.
# Every dependency installs from a wheel: no compiler in any stage. The images carry the runtime
# only (no test or evaluation tools); the optional backend of fine-tuned transformer models is
# added to both with --build-arg WITH_ONNX=true (requirements-onnx.lock, ~120 MB).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
# One owner for the shared home (/data, the compose volume langnghe-home): both images run as
# this uid with gid 0, so the web app and every Airflow task create and open the same SQLite
# files (web.sqlite, alerts.sqlite, crawl state, spool). 50000:0 is the official Airflow
# image's convention (OpenShift-friendly); docs/deploy.md, "Shared storage".
ARG DATA_UID=50000

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# --- source: the package tree only (no venvs, tests or local data) ---
FROM base AS source
COPY pyproject.toml README.md requirements.lock requirements-onnx.lock ./
COPY scripts/airflow-requirements.lock ./scripts/
COPY langnghe ./langnghe
COPY crawlers ./crawlers
COPY nlp ./nlp
COPY store ./store
COPY alerts ./alerts
COPY assistant ./assistant
COPY web ./web
COPY runner ./runner
COPY config ./config
COPY index_mappings ./index_mappings
COPY dashboards ./dashboards
COPY dags ./dags

# --- build: the web app's virtualenv (requirements.lock [+ requirements-onnx.lock]) ---
FROM source AS build-app
ARG WITH_ONNX=false
RUN python -m venv /venv && /venv/bin/pip install -r requirements.lock \
    && if [ "$WITH_ONNX" = true ]; then /venv/bin/pip install -r requirements-onnx.lock; fi \
    && /venv/bin/pip install --no-deps -e .

# --- build: the Airflow virtualenv (scripts/airflow-requirements.lock [+ the ONNX lock]) ---
FROM source AS build-airflow
ARG WITH_ONNX=false
RUN python -m venv /venv && /venv/bin/pip install -r scripts/airflow-requirements.lock \
    && if [ "$WITH_ONNX" = true ]; then /venv/bin/pip install -r requirements-onnx.lock; fi \
    && /venv/bin/pip install --no-deps -e .

# --- airflow: api-server, scheduler, dag-processor, triggerer and Celery worker ---
FROM base AS airflow
ARG DATA_UID
RUN useradd --create-home --uid ${DATA_UID} --gid 0 airflow \
    && mkdir -p /data /opt/airflow && chown ${DATA_UID}:0 /data /opt/airflow
COPY --from=build-airflow /venv /venv
COPY --from=build-airflow --chown=${DATA_UID}:0 /app /app
ENV PATH=/venv/bin:$PATH AIRFLOW_HOME=/opt/airflow AIRFLOW__CORE__DAGS_FOLDER=/app/dags \
    LANGNGHE_HOME=/data
USER ${DATA_UID}:0
WORKDIR /opt/airflow
ENTRYPOINT ["airflow"]
CMD ["version"]

# --- app (default): the web app and the embedded engine ---
FROM base AS app
ARG DATA_UID
RUN useradd --create-home --uid ${DATA_UID} --gid 0 langnghe \
    && mkdir -p /data && chown ${DATA_UID}:0 /data
COPY --from=build-app /venv /venv
COPY --from=build-app --chown=${DATA_UID}:0 /app /app
ENV PATH=/venv/bin:$PATH LANGNGHE_HOME=/data
USER ${DATA_UID}:0
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=5)"]
CMD ["langnghe", "run", "--host", "0.0.0.0", "--home", "/data", "--sources", "/app/config/sources.yaml"]
