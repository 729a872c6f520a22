#!/bin/sh
# Makes sure the tools the test suite drives are installed: redis-server (reference server),
# redis-tools (redis-cli, redis-benchmark), openssl (the TLS tests make their certificates),
# iproute2 (`ss` reads socket options) and liburing-dev (the io_uring shim's build).
# Silent and instant when everything is present; installs what is missing with apt-get when
# running as root on Debian/Ubuntu; otherwise says what to install.
set -eu

missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
if ! command -v redis-cli >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
  missing="$missing redis-tools"
fi
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v ss >/dev/null 2>&1 || missing="$missing iproute2"
# liburing only matters on Linux, where the io_uring engine is built against it.
if [ "$(uname -s)" = Linux ] && [ ! -f /usr/include/liburing.h ]; then
  missing="$missing liburing-dev"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tests/setup.sh: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  exit 0
fi

case "$missing" in
  *redis* | *openssl* | *iproute2*)
    echo "tests/setup.sh: missing$missing: install them" \
      "(Debian: apt-get install$missing; macOS: brew install redis)" >&2
    exit 1
    ;;
  *)
    echo "tests/setup.sh: note: missing$missing; io_uring tests will use the fallback" >&2
    ;;
esac
