#!/usr/bin/env bash
# Set up for the tests: the Python environment (scripts/setup.sh) plus Debian's chromium for the
# report's browser test (installed as root with apt; elsewhere that test is skipped with the reason).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is not installed and this is not root: the report's browser test will be skipped" >&2
    fi
fi
