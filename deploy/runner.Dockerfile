# The local runner against the real services of docker-compose.yml.
FROM node:20-bookworm-slim AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci
COPY ui/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY local/ local/
RUN pip install --no-cache-dir ".[local]"
COPY functions/ functions/
COPY migrations/ migrations/
COPY --from=ui /src/ui/dist ui/dist
ENV APP__DATA_DIR=/data UCM_ROOT=/app
EXPOSE 8080
CMD ["python", "-m", "local"]
