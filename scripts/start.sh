#!/usr/bin/env bash
# The main command on a fresh machine: `bash scripts/start.sh`.
# Installs what it needs (pnpm, ffmpeg, dependencies, the Prisma client), builds the reference
# app's frontend, starts the app (NestJS backend + React frontend, SQLite, and the LiveKit egress
# emulator when no LIVEKIT_URL is set) and prints its URL. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh
say "build the frontend"
pnpm --filter @livekit-replay/reference-app run --silent build >/dev/null
say "start (Ctrl-C stops it)"
cd examples/reference-app
exec ./node_modules/.bin/tsx --tsconfig tsconfig.json --conditions=source server/main.ts
