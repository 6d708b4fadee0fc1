FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
# The heap sizes of `npm run start:prod` (see README, Memory): the same flags, kept equal by deploy-files.spec.ts.
CMD ["node", "--max-old-space-size=384", "--max-semi-space-size=32", "dist/src/main"]
