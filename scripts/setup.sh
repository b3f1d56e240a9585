#!/usr/bin/env bash
# Install what sluice needs to build and test, from Debian's packages.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libgit2-dev libyaml-dev libcurl4-openssl-dev libssl-dev libcjson-dev
  libmicrohttpd-dev libsqlite3-dev curl openssl
  clang libclang-rt-14-dev systemd
  python3 openssh-server openssh-client
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
