#!/bin/sh
# Builds native/build/libskua_uring.so: the io_uring shim with liburing linked
# statically, so the one .so is all Deno.dlopen (and deno compile --include)
# needs. Run from anywhere: `sh native/build.sh` or `deno task build:native`.
# On failure prints one line saying why and exits non-zero:
#   2 no C compiler, 3 no liburing headers, 4 no static liburing, 5 compile error.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
cc=${CC:-cc}

if ! command -v "$cc" >/dev/null 2>&1; then
  echo "no C compiler to build native/ (install gcc, or set CC)" >&2
  exit 2
fi
if ! printf '#include <liburing.h>\n' | "$cc" -E -x c - >/dev/null 2>&1; then
  echo "liburing headers not installed (apt-get install liburing-dev)" >&2
  exit 3
fi
# The full path when the compiler finds the archive, the bare name otherwise.
liburing_a=$("$cc" -print-file-name=liburing.a)
if [ ! -f "$liburing_a" ]; then
  echo "static liburing.a not found (apt-get install liburing-dev)" >&2
  exit 4
fi

mkdir -p "$out"
# Build under a private name, then rename: several shards may build on first
# use at once, and none of them may dlopen a half-written file.
tmp="$out/.libskua_uring.$$.so"
log="$out/.build.$$.log"
# -fvisibility=hidden + --exclude-libs: only the sk_* API is exported; the
# liburing copy stays private to this .so.
if ! "$cc" -O2 -g -fPIC -shared -std=gnu11 -Wall -Wextra -fvisibility=hidden \
  -o "$tmp" "$here/skua_uring.c" "$here/skua_net.c" "$here/skua_probe.c" \
  "$liburing_a" -Wl,--exclude-libs,ALL -Wl,-z,defs -Wl,--as-needed 2>"$log"; then
  reason=$(grep -m1 -i 'error' "$log" || head -n1 "$log")
  rm -f "$tmp" "$log"
  echo "compiling native/ failed: $reason" >&2
  exit 5
fi
mv -f "$tmp" "$out/libskua_uring.so"
rm -f "$log"
echo "built $out/libskua_uring.so"
