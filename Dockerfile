# The service image: dependencies in their own layer, the index built at image build, served on 0.0.0.0:8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    QA_CORPUS_DIR=/app/corpus QA_INDEX_DIR=/app/index QA_SERVICE__AUDIT_LOG=/app/var/audit.jsonl
WORKDIR /app

# 1. Dependencies only (a placeholder package), so code changes do not reinstall them. torch comes from the
#    CPU wheel index: the default one resolves to a CUDA build of several GB.
COPY pyproject.toml README.md ./
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && mkdir qa && touch qa/__init__.py \
 && pip install . \
 && pip uninstall -y qa && rm -rf qa

# 2. The code and the corpus, then the index (embedded once, here, not at start-up).
COPY qa ./qa
COPY corpus ./corpus
RUN pip install --no-deps . && qa build

RUN useradd --system --home /app qa && mkdir -p /app/var && chown -R qa /app/var
USER qa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s CMD python -c \
  "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["qa", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-rebuild"]
