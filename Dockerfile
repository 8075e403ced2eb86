# syntax=docker/dockerfile:1
# Build: docker build -t omicall-transcriber .
# Run:   docker run --env-file .env -p 3000:3000 omicall-transcriber

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: Bolt, undici, keyv, the bundled ffmpeg and the pinned Node binary.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM debian:bookworm-slim
# The pinned Node binary needs libatomic and libstdc++; TLS needs the CA certificates.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libatomic1 libstdc++6 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app app
WORKDIR /app
ENV NODE_ENV=production PORT=3000
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
USER app
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD ["/app/node_modules/node/bin/node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The Node binary the project pins (the npm "node" package), so the image runs what the tests ran.
CMD ["/app/node_modules/node/bin/node", "--max-semi-space-size=4", "src/index.ts"]
