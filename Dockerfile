# The web console is built in a stage of its own: Vite, React and the rest are development dependencies, which the
# running image does not carry; only the built files (web/dist) are copied over.
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY web ./web
RUN npm run build:web

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json drizzle.config.ts ./
COPY src ./src
COPY migrations ./migrations
COPY --from=console /app/web/dist ./web/dist
# Uploaded media (MEDIA_DIR, ./data/media): made here and owned by node, so the volume mounted on it starts writable.
RUN mkdir -p /app/data/media && chown node:node /app/data/media
USER node
EXPOSE 3000 3001
# node itself is PID 1, not npm: `docker stop` sends SIGTERM straight to the process that drains and exits 0
# (the compose file runs the worker and the migration the same way).
CMD ["node", "--import", "tsx", "src/server.ts"]
