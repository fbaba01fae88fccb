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
# Node itself runs the app (tsx as a loader, not its CLI): Ctrl-C reaches the app's own handler,
# which stops every buffer; tsx's CLI would SIGKILL it when a loaded machine answers late.
TSX_TSCONFIG_PATH=tsconfig.json exec node --conditions=source --import tsx server/main.ts
