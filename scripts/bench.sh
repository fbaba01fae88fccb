#!/usr/bin/env bash
# Regenerates BENCHMARKS.md from a fresh clone: `bash scripts/bench.sh` (~10 min on 2 cores,
# plus ~4 min once to generate the 10-minute 1080p fixture into bench/.fixtures/).
set -euo pipefail
cd "$(dirname "$0")/.."
# The bench checks that its clips play in a real browser (Chromium).
export LKR_NEED_CHROMIUM=1
source scripts/ensure-tools.sh
say "bench"
exec pnpm run --silent bench "$@"
