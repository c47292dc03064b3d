#!/usr/bin/env bash
# The browser for the console's test (e2e/test/console.test.ts): Debian's Chromium at /usr/bin/chromium,
# driven by playwright-core, and a Chinese font (WenQuanYi Zen Hei) so the console's Chinese labels render
# in its screenshots. Installed with apt when missing (one `apt-get update`, then the packages); never a
# browser download by Playwright. CHROMIUM=/path/to/chrome uses another binary instead.
set -euo pipefail
browser="${CHROMIUM:-/usr/bin/chromium}"
font=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
if [[ -x "$browser" && -f "$font" ]]; then exit 0; fi
if [[ -n "${CHROMIUM:-}" && ! -x "$browser" ]]; then
  echo "chromium: CHROMIUM=$CHROMIUM is not an executable" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "chromium: Chromium or a Chinese font is missing and there is no apt-get; install them, or set CHROMIUM" >&2
  exit 1
fi
sudo=()
if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
packages=()
if [[ ! -x "$browser" ]]; then packages+=(chromium); fi
if [[ ! -f "$font" ]]; then packages+=(fonts-wqy-zenhei); fi
echo "chromium: installing ${packages[*]} with apt (first time only)" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
"$browser" --version
