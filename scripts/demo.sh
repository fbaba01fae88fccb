#!/usr/bin/env bash
# The main job on a fresh clone: `bash scripts/demo.sh`.
# Starts the LiveKit egress emulator, starts a replay buffer, records ~40 s, saves a 30 s clip,
# and prints the clip's path, probed duration, size and checksum.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/ensure-tools.sh
say "demo"
exec pnpm run --silent demo "$@"
