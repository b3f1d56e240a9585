#!/usr/bin/env bash
# Install what sluice needs to build and test, from Debian's packages.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libgit2-dev libyaml-dev libcurl4-openssl-dev libssl-dev libcjson-dev
  libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libpcre2-dev curl openssl
  clang libclang-rt-14-dev systemd
  python3 openssh-server openssh-client
  python3-jinja2 cookiecutter golang-go
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# kubectl for the Kubernetes target's cross-checks: Debian's kubernetes-client
# unless a kubectl is already installed (the two packages conflict).
if ! command -v kubectl >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
fi

# Peer engines the tests compare against (npm registry, pinned by the lock
# file): Nunjucks and HashiCorp's HCL parser compiled to WebAssembly.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_dir="$(cd "$(dirname "$0")/../tests/node" && pwd)"
if [ ! -d "$node_dir/node_modules" ]; then
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
