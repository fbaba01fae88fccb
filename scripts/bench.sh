#!/usr/bin/env bash
# Regenerates BENCHMARKS.md and bench/UI-SAVE.md from a fresh clone: `bash scripts/bench.sh`
# (~15 min on 2 cores, plus ~4 min once to generate the 10-minute 1080p fixture into bench/.fixtures/).
set -euo pipefail
cd "$(dirname "$0")/.."
# The bench checks that its clips play in a real browser (Chromium).
export LKR_NEED_CHROMIUM=1
source scripts/ensure-tools.sh
say "bench"
pnpm run --silent bench "$@"
# The reference app in Chromium: "Save" click → playable clip (its frontend must be built).
say "bench: the reference app"
pnpm --filter @livekit-replay/reference-app run --silent build >/dev/null
pnpm exec tsx --conditions=source bench/src/ui-save.ts
