#!/usr/bin/env bash
# Installs what perfgate and its tests need on a Debian/Ubuntu machine:
# the toolchain and measurement tools from apt, and the npm dependencies.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A NEED=(
  [gcc]=gcc [make]=make [git]=git [strace]=strace [/usr/bin/time]=time
  [taskset]=util-linux [valgrind]=valgrind [python3]=python3 [sort]=coreutils
  [bwrap]=bubblewrap [chromium]=chromium [g++]=g++
)
# allocators the rebaseline and bench:native compare against; Google Benchmark for its tests
LIBS=(libmimalloc2.0 libjemalloc2 libtcmalloc-minimal4 libbenchmark-dev)

missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
for lib in "${LIBS[@]}"; do
  dpkg -s "$lib" >/dev/null 2>&1 || missing+=("$lib")
done

# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi

# npm dependencies: install when missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
