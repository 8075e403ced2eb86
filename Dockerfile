# syntax=docker/dockerfile:1
# Build: docker build -t omicall-transcriber .
# Run:   docker run -d --name transcriber --env-file .env -p 3000:3000 --stop-timeout 30 omicall-transcriber
#
# Stopping: on SIGTERM the app finishes the uploads in flight (up to 20 s, done within ~25 s) and exits 0. Docker
# waits only 10 s by default before SIGKILL, so give it 30: `docker run --stop-timeout 30` (or `docker stop -t 30`),
# or `stop_grace_period: 30s` in Compose. A Dockerfile cannot set this; it belongs to the container.

FROM node:24-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: Bolt, undici, keyv, the pinned Node binary, and npm's ffmpeg (a fallback here).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM debian:trixie-slim
# The pinned Node binary needs glibc 2.28+, libatomic and libstdc++; TLS needs the CA certificates. ffmpeg is
# Debian's (7.1 in trixie), maintained with security updates, which the app prefers to the 2018 build from npm.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libatomic1 libstdc++6 ca-certificates ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app app \
 && mkdir /data && chown app:app /data && chmod 0700 /data
WORKDIR /app
# MALLOC_ARENA_MAX=1: freed download buffers go back to the system instead of staying in per-thread malloc
# arenas (see docs/performance.md).
ENV NODE_ENV=production PORT=3000 MALLOC_ARENA_MAX=1 DATA_DIR=/data
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER app
# Without REDIS_URL, the records and the job queue (one SQLite file): mount a volume here so they outlive the container.
VOLUME /data
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s CMD ["/app/node_modules/node/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The Node binary the project pins (the npm "node" package), so the image runs what the tests ran. It is PID 1 and
# handles SIGTERM itself (a second SIGTERM during the drain is ignored).
CMD ["/app/node_modules/node/bin/node", "--max-semi-space-size=4", "src/index.ts"]
