#!/bin/sh
# Installs everything Eddy needs on a machine that has only Node 20 and npm: the pinned pnpm
# (through npx, so nothing global changes), the workspace from the frozen lockfile, and a build.
# Safe to run again: an up-to-date install and build take a few seconds.
set -eu
cd "$(dirname "$0")/../.."
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
npx --yes "pnpm@${PNPM_VERSION}" install --frozen-lockfile --reporter=append-only
npx --yes "pnpm@${PNPM_VERSION}" run build
