#!/bin/sh
# The whole suite: every test with the default engine (io_uring where available), then the
# tests that drive a server once more on the listen engine, so both engines pass the same
# integration, differential, bad-input and benchmark tests (the engine tests run both engines
# themselves).
#
# Tests that assert on latency (a PING must stay prompt while another client floods the server,
# a timeout closes an idle client within a second or two, the fuzzer's probe is never stalled)
# run on their own, after the rest: beside another test file's servers on a 2-core machine they
# would measure that file's load, not Skua.
set -u
sh "$(dirname "$0")/setup.sh" || exit 1
cd "$(dirname "$0")/.." || exit 1
TIMED="tests/engine_test.ts tests/engine_pipeline_test.ts tests/expiry_test.ts tests/limits_test.ts tests/resp_fuzz_test.ts"
SERVER="tests/integration_*_test.ts tests/differential_*_test.ts tests/bad_input_test.ts tests/benchmark_test.ts tests/acl_test.ts"
status=0
# shellcheck disable=SC2046 # the list of test files is meant to be split into words
deno test -A --parallel $(ls tests/*_test.ts | grep -v -e engine_test -e engine_pipeline_test -e expiry_test -e limits_test -e resp_fuzz_test) || status=1
# shellcheck disable=SC2086
deno test -A $TIMED || status=1
echo "== the same server tests on the listen engine (SKUA_TEST_IO=listen)"
# shellcheck disable=SC2086
SKUA_TEST_IO=listen deno test -A --parallel $SERVER || status=1
exit $status
