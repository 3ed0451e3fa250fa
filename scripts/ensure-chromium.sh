#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the end-to-end tests.
# Playwright never downloads a browser of its own in this project.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[ml-gitops] installing Chromium from apt (about 2 minutes)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null
else
  echo "[ml-gitops] Chromium not found at $chromium: install Debian's 'chromium' package (as root: apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 2
fi
