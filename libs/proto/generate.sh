#!/usr/bin/env bash
# Generates the TypeScript of @nuanyang/proto from ../../proto: buf lint, then buf generate with ts-proto
# (options and their reasons in proto/buf.gen.yaml). src/gen is git-ignored and rebuilt from scratch on
# every build, so it can never drift from the .proto files. Works offline: buf and ts-proto come from this
# package's devDependencies, the well-known types are built into buf.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_dir="$(cd "$here/../../proto" && pwd)"
buf="$here/node_modules/.bin/buf"
out="$here/src/gen"

if [[ ! -x "$buf" ]]; then
  echo "generate.sh: $buf not found; run pnpm install first" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out"
cd "$proto_dir"
"$buf" lint
"$buf" generate --template buf.gen.yaml
echo "generate.sh: wrote $(find "$out" -name '*.ts' | wc -l) files to ${out#"$here"/}"
