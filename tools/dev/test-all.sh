#!/bin/sh
# The full test suite, one vitest project after another: fast unit tests and seeded simulations
# first, then in-process clusters, then real processes with faults (which need a quiet machine
# to measure failover times on two cores).
set -eu
cd "$(dirname "$0")/../.."
npx vitest run --project unit --project sim
npx vitest run --project integration --passWithNoTests
npx vitest run --project e2e
