# trunkbridge: SIP-to-WebSocket media bridge.
#   docker build -t trunkbridge .
#   docker run --network host -v $PWD/my.yaml:/etc/trunkbridge.yaml trunkbridge --config /etc/trunkbridge.yaml
# Host networking is the simple choice for RTP (a wide UDP port range); otherwise publish 5060/udp and the range.
FROM node:22-bookworm-slim AS build
WORKDIR /app
# python3/make/g++ for native addons that build from source (Opus, later).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY config ./config
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY package.json ./
EXPOSE 5060/udp 9464/tcp 10000-20000/udp
USER node
# --max-semi-space-size=8: the main thread's young generation stays small under load (README, "Capacity")
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/cli/main.js"]
