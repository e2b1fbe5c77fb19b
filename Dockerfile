# k8s-migrate as a container, for CI systems that run containers:
#   docker build -t k8s-migrate . && docker run --rm -v "$PWD:/work" k8s-migrate validate deployment.toml --version 4.6
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY k8s_migrate ./k8s_migrate
COPY mappings ./mappings
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# git: for `k8s-migrate pr`
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --user-group k8s-migrate
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["k8s-migrate"]
CMD ["--help"]
