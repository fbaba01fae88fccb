#!/usr/bin/env bash
# Installs what this repository needs on a fresh machine, then the dependencies.
# Sourced by scripts/test.sh and scripts/demo.sh; safe to run again (it skips what is there).
set -euo pipefail

PNPM_VERSION=10.34.9

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

need_root_for() {
  if [ "$(id -u)" != "0" ]; then
    echo "[setup] $1 is missing and this is not root: install it yourself (e.g. sudo apt-get install -y $1)" >&2
    exit 1
  fi
}

apt_updated=0
apt_install() {
  need_root_for "$1"
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)')
if [ "$node_ok" != 1 ]; then
  echo "[setup] Node >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --silent >/dev/null
fi

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  apt_install ffmpeg
fi

if [ "${LKR_NEED_CHROMIUM:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi

say "pnpm install"
CI=true pnpm install --frozen-lockfile --reporter=append-only

# Prisma's client is generated code (its CLI cannot download engines here; generation needs none).
if [ -d packages/adapter-prisma ]; then
  say "prisma generate"
  pnpm --filter @livekit-replay/adapter-prisma run --silent generate
fi
