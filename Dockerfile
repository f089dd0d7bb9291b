# hlgw: build stage compiles TypeScript, runtime stage carries only what runs. On Node 24 the SQLite store
# uses node:sqlite (src/store/sqlite-driver.ts): the optional better-sqlite3 addon is neither built nor shipped.
# The base image is pinned by digest (a tag moves; a digest is one exact image): Node 24, the
# active LTS. To update it, docs/OPERATIONS.md "Docker image": `docker buildx imagetools inspect
# node:24-bookworm-slim` prints the new digest; `docker build --build-arg NODE_IMAGE=...` overrides it.
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --omit=optional

FROM ${NODE_IMAGE}
WORKDIR /app
# HLGW_CONFIG is what `serve` and `healthcheck` both read: give your own file with
# -e HLGW_CONFIG=... (README "Docker"). The demo config it names by default is refused on
# 0.0.0.0 unless HLGW_ALLOW_DEMO=1 (its passwords are published).
ENV NODE_ENV=production \
    HLGW_HOST=0.0.0.0 \
    HLGW_ADMIN_HOST=0.0.0.0 \
    HLGW_CONFIG=config/gateway.yaml
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config
# The SQLite store and the generated master key live in /app/data: mount a volume there.
RUN mkdir -p /app/data && chown node:node /app/data
# The user `node` by its ids: Kubernetes' runAsNonRoot refuses to start an image whose user is a
# name, since it cannot tell it is not root (deploy/kubernetes/deployment.yaml runs as the same ids).
USER 1000:1000
VOLUME ["/app/data"]
# The default ports (config/production.example.yaml and the demo); yours are in your config.
EXPOSE 8080 9464
# Readiness on the admin address the config names (src/cli/healthcheck-command.ts), not a fixed port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s CMD ["node", "dist/cli.js", "healthcheck"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
