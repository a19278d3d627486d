#!/bin/sh
# Installs what the test suite needs (Chromium and its font for the report's browser
# test, among the rest): the install step of ./test.sh, kept under this name because the
# browser test's message points here.
set -eu
exec "$(dirname "$0")/../test.sh" --install-only
