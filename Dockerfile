# Lắng Nghe engine + web app (embedded store). Multi-stage: build the venv, copy it into a slim
# runtime image that runs as a non-root user.
FROM python:3.11.7-slim-bookworm AS build
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.lock
COPY . .
RUN /venv/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11.7-slim-bookworm
RUN useradd --create-home --uid 10001 langnghe
COPY --from=build /venv /venv
COPY --from=build /app/config /app/config
ENV PATH=/venv/bin:$PATH LANGNGHE_HOME=/data
USER langnghe
EXPOSE 8080
CMD ["langnghe", "run", "--host", "0.0.0.0", "--home", "/data", "--sources", "/app/config/sources.yaml"]
