# Two stages. The builder has torch: it builds the index and the ONNX export of the model (the packaged weights
# with the tuned patch of index/tuning/ applied) into /app/index.
# The learned ranker (index/ranker/ranker.json, a weight per feature) is read as it is by the runtime stage.
# The runtime stage has ONNX Runtime and no torch: `pip install .` (the serve-only dependency set) and the
# index folder, which carries everything serving needs (chunks, FAISS, BM25, the export and its tokenizer).

FROM python:3.11-slim AS builder
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false QA_CORPUS_DIR=/app/corpus QA_INDEX_DIR=/app/index \
    QA_EMBEDDING__TUNING=/app/index/tuning
WORKDIR /app
# Dependencies only (a placeholder package), so code changes do not reinstall them. torch comes from the
# CPU wheel index: the default one resolves to a CUDA build of several GB.
COPY pyproject.toml README.md ./
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && mkdir qa && touch qa/__init__.py \
 && pip install '.[build]' \
 && pip uninstall -y qa && rm -rf qa
COPY qa ./qa
COPY corpus ./corpus
COPY index/tuning ./index/tuning
RUN pip install --no-deps . && qa build && cp -r "$(readlink -f /app/index/current)" /app/index-image

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QA_CORPUS_DIR=/app/corpus QA_INDEX_DIR=/app/index QA_SERVICE__AUDIT_LOG=/app/var/audit.jsonl \
    QA_EMBEDDING__TUNING=/app/index/tuning QA_RETRIEVAL__RANKER=/app/index/ranker
WORKDIR /app
COPY pyproject.toml README.md ./
RUN mkdir qa && touch qa/__init__.py && pip install . && pip uninstall -y qa && rm -rf qa
COPY qa ./qa
COPY corpus ./corpus
RUN pip install --no-deps .
# The one build the builder made, served as `current`, and the patch it was built with (its hash is checked
# against the build's manifest).
COPY --from=builder /app/index-image /app/index/builds/image
COPY index/tuning/patch.safetensors index/tuning/tuning.json /app/index/tuning/
COPY index/ranker /app/index/ranker
RUN ln -s builds/image /app/index/current \
 && useradd --system --home /app qa && mkdir -p /app/var && chown -R qa /app/var
USER qa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s CMD python -c \
  "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz').status != 200)"
CMD ["qa", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-rebuild"]
