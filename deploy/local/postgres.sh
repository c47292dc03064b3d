#!/usr/bin/env bash
# PostgreSQL 15 for the embedded FerretDB (deploy/local/servers.js runs a private cluster of its own under
# .data/, on its own port): Debian's binaries in /usr/lib/postgresql/15/bin, installed with apt when missing
# (one `apt-get update`, then the package). Only the binaries are used: a cluster the package may set up and
# start on 5432 is never touched.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
if [[ -x "$bin/initdb" && -x "$bin/postgres" && -x "$bin/pg_isready" ]]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "postgres: $bin is missing and there is no apt-get; install PostgreSQL 15 so that $bin holds initdb, postgres and pg_isready" >&2
  exit 1
fi
sudo=()
if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
echo "postgres: installing postgresql-15 with apt (first time only)" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
"$bin/postgres" --version
