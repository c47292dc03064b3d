# syntax=docker/dockerfile:1
# check=error=true
#
# One image recipe for every service and the gateway, chosen by build argument:
#   docker build --build-arg SERVICE=intake -t registry.example.org/nuanyang/nuanyang-intake:0.1.0 .
# build:   pnpm (the version package.json pins), the workspace from the frozen lockfile, the generated proto
#          code (libs/proto/generate.sh) and `tsc -b` of the service and the libraries it references, then
#          `pnpm deploy --prod`: the service with only its production dependencies, workspace libraries copied in.
# runtime: distroless Node.js 20 (no shell, no package manager), user nonroot (65532), the service at /app and
#          the .proto files at /app/proto for gRPC reflection (PROTO_ROOT). The Helm chart runs it with a
#          read-only root filesystem and an emptyDir at /tmp.

ARG NODE_MAJOR=20

FROM node:${NODE_MAJOR}-bookworm-slim AS build
ARG SERVICE
ENV CI=true \
    PNPM_STORE_DIR=/pnpm/store
WORKDIR /src
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<a folder under services/>" >&2; exit 1; }

# pnpm at the version package.json pins, then every package the lockfile names (cached until it changes).
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN npm install --global --no-audit --no-fund --loglevel=error \
      "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")"
RUN --mount=type=cache,id=nuanyang-pnpm-store,target=/pnpm/store \
    pnpm fetch --store-dir "${PNPM_STORE_DIR}"

COPY . .
RUN test -f "services/${SERVICE}/package.json" || { echo "no services/${SERVICE}/package.json" >&2; exit 1; }
RUN --mount=type=cache,id=nuanyang-pnpm-store,target=/pnpm/store \
    pnpm install --offline --frozen-lockfile --store-dir "${PNPM_STORE_DIR}"
RUN bash libs/proto/generate.sh && pnpm exec tsc -b "services/${SERVICE}"
# The gateway serves the operator console: its static build goes into the image beside the gateway.
RUN if [ "${SERVICE}" = gateway ]; then pnpm --filter @nuanyang/console build; fi

# The service with its production dependencies only; the workspace libraries are copied in (not linked).
# Then drop what the runtime never reads: TypeScript sources, build info, test configuration.
RUN --mount=type=cache,id=nuanyang-pnpm-store,target=/pnpm/store \
    pnpm --filter "./services/${SERVICE}" deploy --legacy --prod --offline --store-dir "${PNPM_STORE_DIR}" /out \
 && cp -R proto /out/proto \
 && find /out /out/node_modules/.pnpm/@nuanyang+*/node_modules/@nuanyang/* -maxdepth 1 \
      \( -name src -o -name test -o -name '*.tsbuildinfo' -o -name tsconfig.json -o -name jest.config.js \
         -o -name generate.sh \) -exec rm -rf {} + \
 && if [ "${SERVICE}" = gateway ]; then cp -R console/dist /out/console; fi \
 && test -f /out/dist/main.js \
 && test -f /out/node_modules/@nuanyang/telemetry/dist/register.js

FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot AS runtime
ARG SERVICE
LABEL org.opencontainers.image.title="nuanyang-${SERVICE}" \
      org.opencontainers.image.description="Nuanyang ${SERVICE}" \
      org.opencontainers.image.source="https://github.com/nuanyang/nuanyang"
ENV NODE_ENV=production \
    PROTO_ROOT=/app/proto \
    CONSOLE_DIR=/app/console
WORKDIR /app
# Owned by root, read-only to the service's user.
COPY --from=build /out /app
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["--require", "/app/node_modules/@nuanyang/telemetry/dist/register.js", "/app/dist/main.js"]
