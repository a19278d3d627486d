#!/usr/bin/env bash
# The project's one test command: ./test.sh
#
# 1. Installs what the test suite needs and this machine lacks (Debian packages through
#    apt-get, as root or with sudo; `apt-get update` runs only when something must be
#    installed; nothing is printed when everything is present), and the rustfmt and
#    clippy components through rustup when they are missing.
# 2. Exports ANOMALAB_DATA_DIR (default: ../shared/datasets beside the checkout, made
#    absolute, because the tests run from each crate's folder), and, as root after the
#    install step, ANOMALAB_REQUIRE_SLURM=1 (the Slurm tests fail rather than skip).
# 3. Runs, stopping at the first failure:
#      cargo fmt --all -- --check
#      cargo clippy --workspace --all-targets --release -- -D warnings
#      cargo test --release --workspace
#
# Options (the install step is separable):
#   --install-only   step 1 only (CI images, a fresh machine)
#   --no-install     steps 2-3 only (no root, or the tools come from elsewhere)
#   -h, --help       this text
#
# What the suite needs is listed once, in REQUIREMENTS below: a command the tests run and
# the Debian packages that provide it. A new tool (e.g. Slurm's `sbatch`, `munge`, a
# NetFlow collector) is one more line there.
set -euo pipefail

# "command package..." : the command is looked up on PATH; when it is missing, the
# packages are installed. fonts-dejavu-core: Chromium needs at least one font to lay out
# the report's text and inline SVG plots.
# iproute2: the live-interface test of `serve` builds network namespaces joined by veth.
# nftables, ipset: serve's blocklist is loaded by both, inside a network namespace.
# slurm-client, slurmctld, slurmd, munge: `submit slurm` is tested against a real one-node
# cluster that scripts/slurm-local.sh starts (as root) inside the tests, not here.
# softflowd, nfdump: `source: netflow` is tested on NetFlow v5/v9/IPFIX that softflowd
# exports from the shared captures, checked against nfdump's collector (nfcapd) and
# reader; nfpcapd makes the nfdump CSV exports.
REQUIREMENTS=(
  "python3 python3"
  "chromium chromium fonts-dejavu-core"
  "ip iproute2"
  "nft nftables"
  "ipset ipset"
  "sbatch slurm-client"
  "slurmctld slurmctld"
  "slurmd slurmd"
  "munged munge"
  "softflowd softflowd"
  "nfcapd nfdump"
  "nfpcapd nfdump"
)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

# True when `cmd` is available. The report's browser test also accepts the other
# Chromium names and ANOMALAB_CHROMIUM, so those count as present. Daemons live in
# /usr/sbin, which a user's PATH on Debian lacks: they would be "missing" forever.
have() {
  local cmd=$1
  if [ "$cmd" = chromium ]; then
    [ -n "${ANOMALAB_CHROMIUM:-}" ] && return 0
    command -v chromium-browser >/dev/null 2>&1 && return 0
    command -v google-chrome >/dev/null 2>&1 && return 0
  fi
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ]
}

# The packages of every requirement whose command is missing, space-separated.
missing_packages() {
  local line cmd pkgs out=()
  for line in "${REQUIREMENTS[@]}"; do
    read -r cmd pkgs <<<"$line"
    # shellcheck disable=SC2206 # one word per package
    have "$cmd" || out+=($pkgs)
  done
  echo "${out[*]:-}"
}

install_debian_packages() {
  local pkgs
  pkgs=$(missing_packages)
  [ -z "$pkgs" ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: missing packages ($pkgs) and no apt-get to install them;" \
      "install them by hand, then run ./test.sh --no-install" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "test.sh: installing $pkgs needs root (or sudo)" >&2
      return 1
    }
    sudo=(sudo)
  fi
  echo "test.sh: installing $pkgs"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  "${sudo[@]}" apt-get install -y -qq $pkgs >/dev/null
  pkgs=$(missing_packages)
  if [ -n "$pkgs" ]; then
    echo "test.sh: still missing after apt-get install: $pkgs" >&2
    return 1
  fi
}

install_rust_components() {
  local comp
  for comp in rustfmt clippy; do
    if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
      echo "test.sh: adding the rust component $comp"
      rustup component add "$comp"
    fi
  done
}

install=1
run=1
case "${1:-}" in
  "") ;;
  --install-only) run=0 ;;
  --no-install) install=0 ;;
  -h | --help) usage; exit 0 ;;
  *) echo "test.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
esac

cd "$(dirname "$0")"

if [ "$install" = 1 ]; then
  install_debian_packages
  install_rust_components
fi
[ "$run" = 1 ] || exit 0

if [ -z "${ANOMALAB_DATA_DIR:-}" ]; then
  ANOMALAB_DATA_DIR="$(cd .. && pwd)/shared/datasets"
fi
export ANOMALAB_DATA_DIR
# Slurm was just installed and root can run it: a Slurm test that cannot start its cluster
# fails instead of skipping (ANOMALAB_REQUIRE_SLURM=0 ./test.sh to allow the skip).
if [ "$install" = 1 ] && [ "$(id -u)" -eq 0 ]; then
  export ANOMALAB_REQUIRE_SLURM="${ANOMALAB_REQUIRE_SLURM:-1}"
fi

echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --release -- -D warnings
echo "== tests"
cargo test --release --workspace
