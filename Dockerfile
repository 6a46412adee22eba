# flowgate in a container (linux/amd64): how arm64 CI runners, Windows and Intel Macs run the gate,
# since pyre-check 0.10.0 ships wheels only for Linux x86_64 and macOS arm64.
#   docker build --platform linux/amd64 -t flowgate .
#   docker run --rm --platform linux/amd64 -v "$PWD:/src" -w /src flowgate scan . --format sarif --output flowgate.sarif
FROM --platform=linux/amd64 python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 FLOWGATE_NO_PROGRESS=1
COPY pyproject.toml README.md LICENSE /opt/flowgate/
COPY gate /opt/flowgate/gate
COPY sam_hook /opt/flowgate/sam_hook
COPY cdk_aspect /opt/flowgate/cdk_aspect
RUN python -m pip install /opt/flowgate && flowgate --version
ENTRYPOINT ["flowgate"]
CMD ["--help"]
