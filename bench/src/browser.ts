import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AlgorithmName, type ClipJob, runAlgorithm } from './algorithms.js';
import { errorMessage } from './util.js';

export interface BrowserCheck {
  algorithm: AlgorithmName;
  minutes: number;
  /** `video.duration` once metadata loaded, s. */
  duration: number | null;
  /** Time from setting `src` to `loadedmetadata`, ms. */
  metadataMs: number | null;
  /** Seek to 75 % of the duration: time to `seeked`, ms (null when it never arrived). */
  seekMs: number | null;
  /** Playback advanced after the seek. */
  played: boolean;
  error: string | null;
}

const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';

// Runs inside the page: load, seek to 75 %, play half a second.
const PROBE = `async (url) => {
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'metadata';
  document.body.append(v);
  const wait = (event, ms) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(event + ' timed out')), ms);
    v.addEventListener(event, () => { clearTimeout(timer); resolve(); }, { once: true });
    v.addEventListener('error', () => { clearTimeout(timer); reject(new Error('media error ' + (v.error && v.error.message))); }, { once: true });
  });
  let t = performance.now();
  v.src = url;
  await wait('loadedmetadata', 20000);
  const metadataMs = performance.now() - t;
  const duration = v.duration;
  t = performance.now();
  const target = duration * 0.75;
  v.currentTime = target;
  let seekMs = null;
  try { await wait('seeked', 20000); seekMs = performance.now() - t; } catch (e) {}
  let played = false;
  try {
    await v.play();
    await new Promise((r) => setTimeout(r, 700));
    played = v.currentTime > target + 0.1;
    v.pause();
  } catch (e) {}
  return { duration: Number.isFinite(duration) ? duration : null, metadataMs, seekMs, played };
}`;

/**
 * Opens saved clips in headless Chromium (file:// URLs, a plain <video>): does it load, what
 * duration does it report, can it seek to 75 % and play. Skipped when Chromium is missing.
 */
export async function browserChecks(
  jobs: Array<{ algorithm: AlgorithmName; minutes: number; job: ClipJob }>,
  workRoot: string,
): Promise<BrowserCheck[] | { error: string }> {
  try {
    await access(CHROMIUM);
  } catch {
    return { error: `no Chromium at ${CHROMIUM}` };
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const results: BrowserCheck[] = [];
  const dir = join(workRoot, 'browser');
  await mkdir(dir, { recursive: true });
  try {
    const page = await browser.newPage();
    const html = join(dir, 'index.html');
    await writeFile(html, '<!doctype html><html><body></body></html>');
    for (const { algorithm, minutes, job } of jobs) {
      const output = join(dir, `${algorithm}-${minutes}m.mp4`);
      try {
        await runAlgorithm(algorithm, { ...job, outputPath: output });
        await page.goto(pathToFileURL(html).href);
        const probe = (await page.evaluate(`(${PROBE})(${JSON.stringify(pathToFileURL(output).href)})`)) as {
          duration: number | null;
          metadataMs: number;
          seekMs: number | null;
          played: boolean;
        };
        results.push({ algorithm, minutes, ...probe, error: null });
      } catch (error) {
        results.push({
          algorithm,
          minutes,
          duration: null,
          metadataMs: null,
          seekMs: null,
          played: false,
          error: errorMessage(error),
        });
      } finally {
        await rm(output, { force: true });
      }
    }
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
