#!/bin/sh
# The whole suite: every test with the default engine (io_uring where available), then the
# tests that drive a server once more on the listen engine, so both engines pass the same
# integration, differential, bad-input and benchmark tests.
set -u
sh "$(dirname "$0")/setup.sh" || exit 1
status=0
deno test -A --parallel tests/ || status=1
echo "== the same server tests on the listen engine (SKUA_TEST_IO=listen)"
SKUA_TEST_IO=listen deno test -A --parallel tests/integration_*_test.ts \
  tests/differential_*_test.ts tests/bad_input_test.ts tests/benchmark_test.ts || status=1
exit $status
