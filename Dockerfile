# kpiwatch worker image: `docker build -t kpiwatch .`, then `docker run kpiwatch`
# (= `kpiwatch run`) or `docker run kpiwatch generate --bootstrap kafka:9092`.
# Checked by hadolint in tests/deploy/test_static.py.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install kpiwatch and its dependencies into a self-contained venv ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/kpiwatch
# Dependencies ship as manylinux wheels; the compiled KPI core (`kpiwatch core build`,
# mypyc) needs gcc: here, in the build stage, so it never reaches the final image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY stream ./stream
COPY alerts ./alerts
# The core is compiled in the source tree, then installed with it (package data);
# mypy, which compiled it, is not needed at run time.
RUN /opt/kpiwatch/bin/pip install --no-compile '.[native]' \
    && PYTHONPATH=/src /opt/kpiwatch/bin/python -c "from stream import native; native.build()" \
    && /opt/kpiwatch/bin/pip install --no-compile --no-deps --force-reinstall . \
    && /opt/kpiwatch/bin/pip uninstall -y -q mypy \
    && test "$(/opt/kpiwatch/bin/kpiwatch core status)" = "core: compiled" \
    && /opt/kpiwatch/bin/python -m compileall -q /opt/kpiwatch

# --- final: the venv, the default config and a non-root user, nothing else ---
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="kpiwatch" \
      org.opencontainers.image.description="Real-time alerting on customer-service KPIs streamed through Kafka"
RUN groupadd --system --gid 10001 kpiwatch \
    && useradd --system --uid 10001 --gid kpiwatch --no-create-home \
       --home-dir /var/lib/kpiwatch --shell /usr/sbin/nologin kpiwatch \
    && mkdir -p /var/lib/kpiwatch \
    && chown kpiwatch:kpiwatch /var/lib/kpiwatch
COPY --from=build /opt/kpiwatch /opt/kpiwatch
COPY config/kpiwatch.yaml /etc/kpiwatch/kpiwatch.yaml
# Bytecode is compiled at build time; the root filesystem can be read-only
# (state goes to KPIWATCH_DATA_DIR, give it a volume).
ENV PATH=/opt/kpiwatch/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KPIWATCH_CONFIG=/etc/kpiwatch/kpiwatch.yaml \
    KPIWATCH_DATA_DIR=/var/lib/kpiwatch
WORKDIR /var/lib/kpiwatch
USER 10001:10001
EXPOSE 8000
# No curl in a slim image: ask /healthz with the interpreter we already ship.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('KPIWATCH_HTTP_PORT', '8000'), timeout=4)"]
ENTRYPOINT ["kpiwatch"]
CMD ["run"]
