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
# fonts-dejavu-core: the page text (and the inline SVG plots) needs at least one font.
apt-get install -y chromium fonts-dejavu-core
chromium --version
