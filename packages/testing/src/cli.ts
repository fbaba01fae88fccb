#!/usr/bin/env node
import { runEmulatorCli } from './emulator/cli-main.js';

// Runs until SIGINT/SIGTERM, then kills every ffmpeg child and cleans up.
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort());
runEmulatorCli(process.argv.slice(2), { signal: controller.signal }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
