# hlgw: build stage compiles TypeScript and the better-sqlite3 addon, runtime stage carries only what runs.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HLGW_HOST=0.0.0.0 \
    HLGW_ADMIN_HOST=0.0.0.0
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
EXPOSE 8080 9464
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve", "--config", "config/gateway.yaml"]
