#!/bin/sh
# Install Debian's Chromium for the HTML report browser test
# (crates/anomalab-report/tests/browser.rs). Idempotent; needs root (CI containers).
set -eu
if command -v chromium >/dev/null 2>&1; then
    echo "chromium already installed: $(chromium --version 2>/dev/null || echo unknown version)"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
chromium --version
