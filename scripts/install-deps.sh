#!/usr/bin/env bash
# Installs the Debian packages wengert builds with, skipping those already present.
# Runs as root on a bare Debian bookworm (uses sudo when not root and sudo exists).
# libclang-rt-14-dev (only recommended by clang-14) holds the sanitizer and libFuzzer runtimes.
# procps: pgrep, with which tests/lm/cli_mpi.sh finds a rank to kill.
set -euo pipefail
packages=(build-essential cmake libxsimd-dev catch2 libbenchmark-dev nlohmann-json3-dev libcli11-dev
  libopenmpi-dev openmpi-bin strace procps clang-14 libomp-14-dev libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
