# mvbot: the web server (viewer, hooks, Slack/Webex events) plus every configured adapter.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MVBOT_HTTP_HOST=0.0.0.0 MVBOT_HTTP_PORT=8080 MVBOT_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY simulator ./simulator
RUN pip install ".[postgres]" \
 && useradd --system --uid 10001 --home-dir /data mvbot \
 && mkdir -p /data && chown mvbot /data

USER mvbot
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MVBOT_HTTP_PORT','8080'), timeout=4)"
ENTRYPOINT ["mvbot"]
CMD ["run"]
