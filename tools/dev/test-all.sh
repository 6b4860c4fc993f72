#!/bin/sh
# The full test suite, one vitest project after another: fast unit tests and seeded simulations
# first, then in-process clusters, then real processes with faults (which need a quiet machine
# to measure failover times on two cores). Ends with one summary line over every project.
set -eu
cd "$(dirname "$0")/../.."
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
run() {
  name=$1
  shift
  npx vitest run "$@" --reporter=default --reporter=json --outputFile="$results/$name.json"
}
status=0
run unit --project unit --project sim || status=1
run integration --project integration || status=1
run e2e --project e2e || status=1
node tools/dev/test-summary.mjs "$results"/*.json
exit $status
