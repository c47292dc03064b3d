#!/usr/bin/env bash
# Builds the infrastructure servers the local stack and the tests need, and helm (make chart-test), into
# .tools/bin (ignored), once.
# Exact versions, each from the Go module proxy; a binary already present that reports the right version is reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

FERRETDB_VERSION=v1.24.2
NATS_SERVER_VERSION=v2.15.2
HELM_VERSION=v3.22.0

# True when $bin/<name> exists and its `--version` output (or that of the given subcommand) names <version>.
current() {
  local name=$1 version=$2 flag=${3:---version}
  [[ -x "$bin/$name" ]] || return 1
  local out
  out="$("$bin/$name" "$flag" 2>/dev/null)" || return 1
  [[ "$out" == *"$version"* ]]
}

build_nats_server() {
  current nats-server "$NATS_SERVER_VERSION" && return 0
  echo "tools: building nats-server $NATS_SERVER_VERSION (first time only, takes a few minutes)" >&2
  GOBIN="$bin" GOFLAGS="-trimpath -buildvcs=false" go install "github.com/nats-io/nats-server/v2@$NATS_SERVER_VERSION"
}

# FerretDB's main package reads its version from build/version/version.txt, a file its release tooling
# generates and the module zip leaves out: a plain `go install` gives a binary that panics at start-up.
# So build from a writable copy of the module source with that file written.
build_ferretdb() {
  current ferretdb "$FERRETDB_VERSION" && return 0
  echo "tools: building ferretdb $FERRETDB_VERSION (first time only, takes a few minutes)" >&2
  local module=github.com/FerretDB/FerretDB src work
  src="$(GOFLAGS=-mod=mod go mod download -json "$module@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$src" ]] || { echo "tools: go mod download gave no source for $module" >&2; return 1; }
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" RETURN
  cp -R "$src/." "$work/"
  chmod -R u+w "$work"
  echo "$FERRETDB_VERSION" >"$work/build/version/version.txt"
  echo "go-build" >"$work/build/version/package.txt"
  (cd "$work" && GOFLAGS="-trimpath -buildvcs=false" go build -o "$bin/ferretdb" ./cmd/ferretdb)
}

# helm's source says only its minor version ("v3.22") and Kubernetes 1.20 as the default cluster version; its
# release build sets both by -ldflags (helm's Makefile), so do the same: `helm version` then names $HELM_VERSION,
# and `helm lint` / `helm template` assume the Kubernetes version of the client-go helm was built with (as the
# released binary does), not 1.20.
build_helm() {
  current helm "$HELM_VERSION" version && return 0
  echo "tools: building helm $HELM_VERSION (first time only, takes a few minutes)" >&2
  local k8s major minor ldflags
  k8s="$(GOFLAGS=-mod=mod go mod download -json "helm.sh/helm/v3@$HELM_VERSION" >/dev/null &&
    sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' \
      "$(go env GOMODCACHE)/cache/download/helm.sh/helm/v3/@v/$HELM_VERSION.mod")"
  [[ -n "$k8s" ]] || { echo "tools: no k8s.io/client-go version in helm $HELM_VERSION's go.mod" >&2; return 1; }
  major=1 minor=$k8s
  ldflags="-w -s -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for pkg in lint/rules chartutil; do
    ldflags+=" -X helm.sh/helm/v3/pkg/$pkg.k8sVersionMajor=$major -X helm.sh/helm/v3/pkg/$pkg.k8sVersionMinor=$minor"
  done
  GOBIN="$bin" CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false" \
    go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
}

# All builds at once; wait for each and fail if any failed.
build_ferretdb &
ferretdb_pid=$!
build_nats_server &
nats_pid=$!
build_helm &
helm_pid=$!
rc=0
wait "$ferretdb_pid" || { echo "tools: ferretdb build failed" >&2; rc=1; }
wait "$nats_pid" || { echo "tools: nats-server build failed" >&2; rc=1; }
wait "$helm_pid" || { echo "tools: helm build failed" >&2; rc=1; }
exit "$rc"
