#!/usr/bin/env bash
# `tests/chromium.sh` makes sure Debian's chromium is installed (the browser the UI tests drive through Playwright;
# Playwright's own browser downloads are not used) and prints its path.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium from Debian packages…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi
command -v chromium
