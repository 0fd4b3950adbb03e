# apt_install PKG...: installs Debian packages as root or through sudo; without
# either, says what to run and fails. Sourced by setup.sh and
# build-mimalloc-secure.sh, which each find what they miss.
apt_install() {
  local who sudo
  who=$(basename "$0" .sh)
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "$who: missing Debian packages: $* (run as root: apt-get install $*)" >&2
    return 1
  fi
  echo "$who: installing $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
