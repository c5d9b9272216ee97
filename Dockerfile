FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json drizzle.config.ts ./
COPY src ./src
COPY migrations ./migrations
# Uploaded media (MEDIA_DIR, ./data/media): made here and owned by node, so the volume mounted on it starts writable.
RUN mkdir -p /app/data/media && chown node:node /app/data/media
USER node
EXPOSE 3000 3001
# node itself is PID 1, not npm: `docker stop` sends SIGTERM straight to the process that drains and exits 0
# (the compose file runs the worker and the migration the same way).
CMD ["node", "--import", "tsx", "src/server.ts"]
