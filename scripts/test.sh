#!/usr/bin/env bash
# Every check and every test, from a fresh clone: `bash scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
# The clip tests play previews in a real browser (hls.js in Chromium).
export LKR_NEED_CHROMIUM=1
source scripts/ensure-tools.sh

# The adapter tests talk to the real servers; say clearly when one is missing.
for service in "PostgreSQL 127.0.0.1 5432" "Redis 127.0.0.1 6379"; do
  set -- $service
  if ! node -e "require('net').connect($3,'$2').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"; then
    echo "[test] $1 is not reachable on $2:$3 — the adapter tests need it (see README, 'Development')." >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
done

say "lint (Biome)";       pnpm run lint
say "typecheck";          pnpm run typecheck
say "build (tsup)";       pnpm run build
say "build the reference app's frontend (its browser journey serves it)"
pnpm --filter @livekit-replay/reference-app run --silent build >/dev/null
say "package checks";     pnpm run check:packages
say "tests (vitest)"
mkdir -p .tmp
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest-report.json || status=$?
node scripts/test-summary.mjs .tmp/vitest-report.json || status=1
exit $status
