#!/usr/bin/env bash
# Builds mimalloc's secure mode (MI_SECURE=ON) from the Debian source of the
# installed libmimalloc2.0, with the options and flags of Debian's own build
# (debian/rules: cmake RelWithDebInfo, dpkg-buildflags with hardening=+all),
# so `bench:native --secure` compares pgalloc's hardened build with
# mimalloc's, and mimalloc's secure mode with the release build it ships.
# Debian ships no secure build. Prints the library's path; a second run
# reuses it. Needs the network to the Debian archive (deb-src), once.
#
#   bash scripts/build-mimalloc-secure.sh   ->  native/build-peers/mimalloc-secure-<version>/libmimalloc-secure.so
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "build-mimalloc-secure: $*" >&2
  exit 1
}

version=$(dpkg-query -W -f='${source:Version}' libmimalloc2.0 2>/dev/null) ||
  fail "libmimalloc2.0 is not installed (run: bash scripts/setup.sh)"
out="native/build-peers/mimalloc-secure-$version"
lib="$out/libmimalloc-secure.so"
if [ -f "$lib" ]; then
  echo "$PWD/$lib"
  exit 0
fi

# command -> Debian package: cmake builds it, dpkg-dev unpacks the source and gives Debian's flags
declare -A NEED=([cmake]=cmake [dpkg-source]=dpkg-dev [dpkg-buildflags]=dpkg-dev [gcc]=gcc [make]=make)
missing=()
for cmd in "${!NEED[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}"); done
# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The system's own archives as deb-src, in a private apt state: the machine's
# sources and package lists are left as they are.
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && sed -n 's/^deb /deb-src /p' "$f" >>"$work/src.list"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && sed 's/^Types:.*/Types: deb-src/' "$f" >"$work/parts/$(basename "$f")"
done
touch "$work/src.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/src.list" -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "Debug::NoLocking=1")
apt-get "${apt_opts[@]}" update -qq >"$work/apt.log" 2>&1 ||
  fail "cannot read the Debian source index (deb-src of this machine's archives): $(tail -1 "$work/apt.log")"
(cd "$work" && apt-get "${apt_opts[@]}" source -qq "mimalloc=$version" >apt-source.log 2>&1) ||
  fail "cannot fetch the source of mimalloc $version: $(tail -1 "$work/apt-source.log")"
src=$(find "$work" -maxdepth 1 -type d -name 'mimalloc-*' | head -1)
[ -n "$src" ] || fail "the source of mimalloc $version unpacked to nothing"

# debian/rules' configure options, and its DEB_BUILD_MAINT_OPTIONS / CFLAGS append
export DEB_BUILD_MAINT_OPTIONS=hardening=+all DEB_CFLAGS_MAINT_APPEND="-Wall -pedantic"
CFLAGS=$(dpkg-buildflags --get CFLAGS) LDFLAGS=$(dpkg-buildflags --get LDFLAGS) \
  cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMI_BUILD_STATIC=OFF \
  -DMI_BUILD_OBJECT=OFF -DMI_BUILD_TESTS=OFF -DMI_INSTALL_TOPLEVEL=ON -DMI_USE_LIBATOMIC=OFF \
  -DMI_SECURE=ON >"$work/cmake.log" 2>&1 || fail "cmake failed: $(tail -3 "$work/cmake.log")"
make -s -C "$work/build" >"$work/make.log" 2>&1 || fail "the build failed: $(tail -3 "$work/make.log")"
mkdir -p "$out"
cp "$(readlink -f "$work/build/libmimalloc-secure.so")" "$lib"
echo "$PWD/$lib"
