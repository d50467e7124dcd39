# trunkbridge: SIP-to-WebSocket media bridge.
#   docker build -t trunkbridge .
#   docker run --network host -v $PWD/my.yaml:/etc/trunkbridge/trunkbridge.yaml -v trunkbridge-data:/data trunkbridge
# Host networking is the simple choice for RTP (a wide UDP port range); otherwise publish the SIP ports and the
# configured RTP range (deploy/docker-compose.yml does), and set sip.publicAddress to the host's address.
# The start command is the one the integration tests run: node dist/cli/main.js --config FILE.

# --- build: TypeScript and native addons (@discordjs/opus) compiled here, dev dependencies dropped after ---
FROM node:24-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci && npm run build && npm prune --omit=dev

# --- runtime: no compiler, no dev dependencies, not root ---
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
# glibc malloc: one arena, and free memory above 128 KB at its top goes back to the system at once (without these,
# RSS stayed 10-40 MB up after a burst of 10,000 calls; README, "Robustness"). The tests start the bridge with the
# same (test/integration/harness/bridge-process.ts).
ENV MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=131072
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY schema ./schema
COPY deploy/trunkbridge.yaml /etc/trunkbridge/trunkbridge.yaml
# dataDir: the embedded store lives here; keep it on a volume so it survives the container.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
# SIP (UDP/TCP, TLS), the HTTP listener (metrics, health, API), the RTP range of deploy/trunkbridge.yaml.
EXPOSE 5060/udp 5060/tcp 5061/tcp 9464/tcp 10000-10199/udp
USER node
# --max-semi-space-size=2: every thread's young generation stays at 2 x 2 MB under load (README, "Capacity").
# --single-threaded-gc: each thread collects its own garbage; V8's helper threads, sized by the machine's cores,
# waited behind busy media workers and made a 2 MB scavenge take 5-15 ms (README, "Capacity").
# Ready = listeners bound and not draining (GET /readyz); node's fetch, as the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (new calls get 503, calls in progress go on up to lifecycle.drainTimeoutSec): give
# `docker stop -t` (compose stop_grace_period) more than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--max-semi-space-size=2", "--single-threaded-gc", "dist/cli/main.js"]
CMD ["--config", "/etc/trunkbridge/trunkbridge.yaml"]
