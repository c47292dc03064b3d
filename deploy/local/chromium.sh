#!/usr/bin/env bash
# The browser for the console's test (e2e/test/console.test.ts): Debian's Chromium at /usr/bin/chromium,
# driven by playwright-core. Installed with apt when missing (one `apt-get update`, then the package);
# never a browser download by Playwright. CHROMIUM=/path/to/chrome uses another binary instead.
set -euo pipefail
browser="${CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$browser" ]]; then exit 0; fi
if [[ -n "${CHROMIUM:-}" ]]; then
  echo "chromium: CHROMIUM=$CHROMIUM is not an executable" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "chromium: /usr/bin/chromium is missing and there is no apt-get; install Chromium, or set CHROMIUM" >&2
  exit 1
fi
sudo=()
if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
echo "chromium: installing Debian's chromium package (first time only)" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$browser" --version
