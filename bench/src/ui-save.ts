/// <reference lib="dom" />
// Time from the "Save" click to the clip playable in the library, through the reference app in
// Chromium, for 1- and 10-minute saves: `pnpm exec tsx --conditions=source bench/src/ui-save.ts`.
// Writes bench/UI-SAVE.md. The app runs as a child process with the emulator pre-filling enough
// history (REPLAY_EMULATOR_HISTORY_SECONDS) that a save of N minutes is possible at once.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureFrontendBuilt, startAppServer } from '../../examples/reference-app/e2e/app-server.js';
import { launchChromium } from '../../examples/reference-app/e2e/browser.js';
import { currentLoad, describeMachine } from './machine.js';
import { BENCH_DIR, fmt, log, median } from './util.js';

const SIZES_MINUTES = (process.env.UI_SAVE_MINUTES ?? '1,10').split(',').map(Number);
/** The app allows 3 saves a minute per user; one fresh app per size keeps every run within it. */
const RUNS = Number(process.env.UI_SAVE_RUNS ?? 3);
const WAIT_MS = 30 * 60_000;

interface Run {
  saved: number;
  listed: number;
  playing: number;
  bytes: number;
}

const seconds = (ms: number) => ms / 1000;

async function waitForBuffered(page: Page, atLeastSeconds: number): Promise<void> {
  await page.waitForFunction(
    (min) => {
      const text = document.querySelector('.buffer-indicator')?.textContent ?? '';
      const match = /(\d+):(\d+) buffered/.exec(text);
      return match !== null && Number(match[1]) * 60 + Number(match[2]) >= min;
    },
    atLeastSeconds,
    { timeout: WAIT_MS, polling: 500 },
  );
}

async function clipIds(library: Page): Promise<string[]> {
  return library
    .locator('li[data-clip-id]')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-clip-id') ?? ''));
}

async function oneSave(channel: Page, library: Page, minutes: number): Promise<Run> {
  const before = new Set(await clipIds(library));
  await channel.getByRole('button', { name: 'Save replay' }).click();
  const dialog = channel.getByRole('dialog', { name: 'Save a replay' });
  await dialog.getByRole('radio', { name: new RegExp(`Last ${minutes} min`) }).check();
  const save = dialog.getByRole('button', { name: `Save last ${minutes} min` });

  const start = performance.now();
  await save.click();
  await dialog.getByText(/Saved a/).waitFor({ timeout: WAIT_MS });
  const saved = performance.now() - start;

  // The library in another tab adds the clip when the server says it is ready.
  const fresh = library.locator('li[data-clip-id]').first();
  await library.waitForFunction(
    (known) => {
      const first = document.querySelector('li[data-clip-id]')?.getAttribute('data-clip-id');
      return first !== undefined && first !== null && !known.includes(first);
    },
    [...before],
    { timeout: WAIT_MS, polling: 50 },
  );
  const listed = performance.now() - start;
  await fresh.getByRole('button', { name: /^Play / }).click();
  await fresh.locator('video').evaluate(
    (video: HTMLVideoElement) =>
      new Promise<void>((resolve, reject) => {
        video.muted = true;
        // No named inner functions here: tsx's keepNames would reference a helper the page lacks.
        video.addEventListener('timeupdate', () => {
          if (video.currentTime > 0) resolve();
        });
        video.addEventListener('error', () => reject(new Error(`video error ${video.error?.code}`)));
        if (video.currentTime > 0) resolve();
      }),
  );
  const playing = performance.now() - start;
  const id = await fresh.getAttribute('data-clip-id');
  const clip = await channel.request.get(new URL(`/livekit/replay/clips/${id}`, channel.url()).href);
  const bytes = ((await clip.json()) as { sizeBytes: number }).sizeBytes / 2 ** 20;
  await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
  return { saved, listed, playing, bytes };
}

async function benchSize(minutes: number): Promise<{ minutes: number; runs: Run[]; load: string }> {
  const historySeconds = minutes * 60 + 30;
  log(`[ui-save] ${minutes} min: starting the app with ${historySeconds} s of emulated history`);
  const app = await startAppServer({ REPLAY_EMULATOR_HISTORY_SECONDS: String(historySeconds) });
  const browser = await launchChromium();
  try {
    const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const channel = await context.newPage();
    await channel.goto(app.url);
    await channel.getByRole('button', { name: 'Alice' }).click();
    await channel.getByRole('button', { name: 'Share screen' }).click();
    await waitForBuffered(channel, minutes * 60 + 2);
    const library = await context.newPage();
    await library.goto(`${app.url}/#/clips`);
    await library.locator('.lkr-library[data-state]').waitFor({ timeout: WAIT_MS });
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await oneSave(channel, library, minutes);
      log(
        `[ui-save] ${minutes} min run ${i + 1}: saved ${fmt(seconds(run.saved))} s, listed ${fmt(seconds(run.listed))} s, playing ${fmt(seconds(run.playing))} s`,
      );
      runs.push(run);
    }
    return { minutes, runs, load: currentLoad() };
  } finally {
    await browser.close();
    await app.dispose();
  }
}

function render(
  results: Awaited<ReturnType<typeof benchSize>>[],
  machine: Awaited<ReturnType<typeof describeMachine>>,
) {
  const rows = results.map((r) => {
    const pick = (key: keyof Run) => r.runs.map((run) => seconds(run[key]));
    const range = (values: number[]) =>
      `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
    return `| ${r.minutes} min | ${r.runs.length} | ${fmt(median(r.runs.map((run) => run.bytes)), 0)} MB | ${range(pick('saved'))} | ${range(pick('listed'))} | ${range(pick('playing'))} | ${r.load} |`;
  });
  return `# Reference app: time from "Save" to a playable clip

Measured by \`pnpm exec tsx --conditions=source bench/src/ui-save.ts\` (${machine.date}) through the
reference app in Chromium: Alice shares (emulated, the app's default 1280×720 at 15 fps, the
emulator pre-filling enough history), opens "Save replay", picks the preset and clicks "Save last N
min". Times are from that click, measured in the test driver: **saved** = the dialog says "Saved a …
clip"; **listed** = the clip appears in My clips (open in a second tab; it arrives with the server's
CLIP_READY notification); **playing** = after clicking its Play button, the video's currentTime
advances. Median (min–max) of the runs, seconds. A save ends at the click, so every figure includes
the wait for the segment being recorded at that moment (up to one 2 s segment) before any cutting.

| save | runs | clip size | click → saved | click → in library | click → playing (incl. the Play click) | load after |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Machine: ${machine.cpuModel}, ${machine.cores} cores, ${fmt(machine.memoryGiB, 1)} GiB; ${machine.kernel}; Node ${machine.node}; ${machine.ffmpeg}.
Load at start (1/5/15 min): ${machine.loadAtStart}. The machine is shared with other work, so the
figures include that contention; the emulator's live encoding runs on the same cores.
`;
}

async function main() {
  ensureFrontendBuilt();
  const machine = await describeMachine(BENCH_DIR);
  const results = [];
  for (const minutes of SIZES_MINUTES) results.push(await benchSize(minutes));
  const file = path.join(BENCH_DIR, 'UI-SAVE.md');
  await writeFile(file, render(results, machine));
  log(`[ui-save] wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
