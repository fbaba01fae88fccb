// @vitest-environment node
// The three components in Debian's Chromium against the real stack: the Nest app of
// @livekit-replay/nest (real HTTP + socket.io), the egress emulator (livekit-server-sdk over
// HTTP, real ffmpeg, frame-stamped video) and core's media pipeline.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClipDto, PreviewDto, PublicSessionDto } from '@livekit-replay/core/contract';
import { readFrameStamps } from '@livekit-replay/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { previewTimeToWallClock } from '../../src/preview-clock.js';
import { type Backend, loadNestEnv } from './backend.js';
import {
  bundlePage,
  launchChromium,
  type PageServer,
  screenshotPath,
  seriousAxeViolations,
  startPageServer,
  watchErrors,
} from './harness.js';

const API = 'livekit/replay';
const { startReplayEnv, TEST_FPS, uniqueUser } = await loadNestEnv();
const FRAME_MS = 1000 / TEST_FPS;

function cookie(header: string | string[] | undefined, name: string): string | undefined {
  const value = Array.isArray(header) ? header.join('; ') : (header ?? '');
  const match = new RegExp(`(?:^|; )${name}=([^;]*)`).exec(value);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

describe('components in Chromium against the real Nest app', () => {
  const owner = uniqueUser('owner');
  const shared: unknown[] = [];
  let env: Backend;
  let bundle: Awaited<ReturnType<typeof bundlePage>>;
  let server: PageServer;
  let browser: Browser;
  let session: PublicSessionDto;

  beforeAll(async () => {
    [env, bundle, browser] = await Promise.all([
      startReplayEnv({
        historySeconds: 80,
        manager: {
          coordination: { rateLimiter: false },
          hooks: {
            clipSharer: {
              async share(request: unknown) {
                shared.push(request);
                return { messageId: `msg-${shared.length}` };
              },
            },
          },
        },
        module: {
          // The page's "sign-in": a cookie (reaches <video>/<img> requests) or the bearer token.
          // (The test itself calls the API with the Nest tests' x-test-user header.)
          getUserId: (req) =>
            cookie(req.headers.cookie, 'lkr_user') ??
            req.headers.authorization?.replace(/^Bearer /, '') ??
            (req.headers['x-test-user'] as string | undefined),
          authenticateSocket: (socket) => {
            const token = socket.handshake.auth.token;
            return typeof token === 'string' ? token : null;
          },
        },
      }),
      bundlePage(),
      launchChromium(),
    ]);
    server = await startPageServer(bundle.dir, env.app.url);
    const started = await env.app.request(`${API}/start`, {
      method: 'POST',
      user: owner,
      json: { roomName: 'room-react', videoTrackId: 'TR_screen', audioTrackId: 'TR_screen_audio' },
    });
    expect(started.status).toBe(200);
    session = await started.json();
    // 80 s of history, encoded faster than real time: wait for 70 s of it.
    await env.emulator.waitForSegments(session.egressId!, 35, { timeoutMs: 200_000 });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await bundle?.cleanup();
    await env?.close();
  });

  async function open(view: string, extra = ''): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 820 } });
    const errors = watchErrors(page);
    await page.goto(`${server.url}/?view=${view}&user=${encodeURIComponent(owner)}${extra}`);
    return { page, errors };
  }

  const api = async <T>(route: string, init: RequestInit & { json?: unknown } = {}): Promise<T> => {
    const res = await env.app.request(`${API}/${route}`, { ...init, user: owner });
    expect(res.status, `${route}: ${res.status}`).toBeLessThan(300);
    return (await res.json()) as T;
  };

  it('TrimPreview plays the preview; a key moves a handle by exactly one frame; the saved clip starts within a frame of it', async () => {
    const { page, errors } = await open('trim', '&seconds=20');
    await page.waitForSelector('.lkr-trim[data-player="ready"]', { timeout: 60_000 });
    await page.waitForFunction(() => {
      const images = [...document.querySelectorAll<HTMLImageElement>('.lkr-filmstrip img')];
      return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
    });
    await page.screenshot({ path: screenshotPath('trim-preview') });

    // Plays, inside the selection.
    await page.getByRole('button', { name: 'Play selection' }).click();
    const start = page.getByRole('slider', { name: 'Clip start' });
    const startValue = async () => Number(await start.getAttribute('aria-valuenow'));
    const initialStart = await startValue();
    await page.waitForFunction(
      (from) => {
        const video = document.querySelector('video');
        return !!video && !video.paused && video.currentTime > from + 0.5 && video.readyState >= 2;
      },
      initialStart,
      { timeout: 30_000 },
    );
    await page.getByRole('button', { name: 'Pause' }).click();

    // One frame per arrow key, one second with Shift.
    await start.focus();
    await page.keyboard.press('ArrowRight');
    expect(await startValue()).toBeCloseTo(initialStart + 1 / TEST_FPS, 3);
    await page.keyboard.press('Shift+ArrowRight');
    expect(await startValue()).toBeCloseTo(initialStart + 1 / TEST_FPS + 1, 3);
    await page.keyboard.press('ArrowRight');
    const handle = await startValue();
    expect(await start.getAttribute('aria-valuetext')).toMatch(/seconds$/);
    await page.screenshot({ path: screenshotPath('trim-preview-focused') });

    const captureBody = page.waitForRequest((r) => r.url().endsWith('/capture') && r.method() === 'POST');
    await page.getByRole('button', { name: 'Save selection' }).click();
    const body = (await captureBody).postDataJSON() as { startAt: string; endAt: string };
    await page.waitForFunction(() => window.lkr.saved.length === 1, undefined, { timeout: 120_000 });
    const clip = (await page.evaluate(() => window.lkr.saved[0])) as ClipDto;

    // The request carries the handle's wall-clock instant (the preview's segment map).
    const preview = await api<PreviewDto>('preview');
    expect(Date.parse(body.startAt)).toBe(previewTimeToWallClock(preview, handle));
    // And the clip's first frame shows that instant (the emulator stamps wall-clock time in every frame).
    const file = path.join(tmpdir(), `lkr-react-${clip.id}.mp4`);
    const bytes = await env.app.request(`${API}/clips/${clip.id}/file`, { user: owner });
    await writeFile(file, Buffer.from(await bytes.arrayBuffer()));
    const stamps = await readFrameStamps(file, { referenceMs: Date.now() });
    expect(Math.abs(stamps[0]! - Date.parse(body.startAt))).toBeLessThanOrEqual(FRAME_MS);
    expect(errors).toEqual([]);

    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.close();
  }, 240_000);

  it('CaptureReplayModal saves a 1-minute clip to a channel and shows progress', async () => {
    const { page, errors } = await open('modal');
    const dialog = page.getByRole('dialog', { name: 'Save a replay' });
    await dialog.waitFor();
    await page.waitForSelector('main[data-phase="recording"]', { timeout: 30_000 });
    await expect.poll(() => page.getByRole('radio', { name: /Last 1 min/ }).isEnabled()).toBe(true);
    expect(await page.getByRole('radio', { name: /Last 5 min/ }).isDisabled()).toBe(true);
    expect(await dialog.textContent()).toMatch(/buffered/);
    await page.getByRole('radio', { name: /Last 1 min/ }).check();
    await page.getByRole('combobox', { name: 'Save to' }).selectOption('general');
    await page.screenshot({ path: screenshotPath('capture-modal') });
    expect(await seriousAxeViolations(page)).toEqual([]);

    // Hold the request until the saving state has been seen (and photographed).
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/capture', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByRole('button', { name: 'Save last 1 min' }).click();
    const progress = page.getByRole('progressbar', { name: 'Saving the clip' });
    await progress.waitFor();
    expect(await page.locator('dialog[data-state="saving"]').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('capture-modal-saving') });
    release();

    await page.getByRole('status').waitFor({ timeout: 120_000 });
    expect(await page.getByRole('status').textContent()).toMatch(/Saved a 1:00 clip .* shared it to general/);
    const clip = (await page.evaluate(() => window.lkr.saved[0])) as ClipDto;
    expect(clip.durationSeconds).toBeGreaterThan(59.8);
    expect(clip.durationSeconds).toBeLessThan(60.2);
    expect(shared).toHaveLength(1);
    // The socket (socket.io through the page's origin) delivered the save's progress and result.
    await page.waitForFunction(() => window.lkr.notifications.includes('CLIP_READY'), undefined, {
      timeout: 30_000,
    });
    expect(await page.evaluate(() => window.lkr.notifications)).toContain('CAPTURE_PROGRESS');
    await page.screenshot({ path: screenshotPath('capture-modal-saved') });
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('ClipLibrary lists the clips, plays one in place, toggles it public, deletes one after confirmation', async () => {
    const { page, errors } = await open('library');
    const cards = page.locator('.lkr-library__item');
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(2);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.lkr-clip__play img')].every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    );
    await page.screenshot({ path: screenshotPath('clip-library') });
    expect(await seriousAxeViolations(page)).toEqual([]);

    // The light palette: one attribute on an ancestor; axe checks its contrast as well.
    const cardBackground = () =>
      page
        .locator('.lkr-clip')
        .first()
        .evaluate((el) => getComputedStyle(el).backgroundColor);
    const dark = await cardBackground();
    await page.evaluate(() => {
      document.body.dataset.lkrTheme = 'light';
      document.body.style.background = '#f7f8fa';
      document.body.style.color = '#1a1c21';
    });
    expect(await cardBackground()).not.toBe(dark);
    expect(await cardBackground()).toBe('rgb(244, 245, 247)');
    await page.screenshot({ path: screenshotPath('clip-library-light') });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.evaluate(() => {
      delete document.body.dataset.lkrTheme;
      document.body.style.background = '';
      document.body.style.color = '';
    });
    expect(await cardBackground()).toBe(dark);

    // The clip saved to #general was made public by the share; the trimmed one is private.
    expect(await page.locator('.lkr-library__item[data-visibility="public"]').count()).toBe(1);
    const clipId = (await page
      .locator('.lkr-library__item[data-visibility="private"]')
      .getAttribute('data-clip-id'))!;
    const first = page.locator(`.lkr-library__item[data-clip-id="${clipId}"]`);
    await first.getByRole('button', { name: /^Play / }).click();
    await page.waitForFunction(
      () => {
        const video = document.querySelector<HTMLVideoElement>('.lkr-clip__video');
        return !!video && video.currentTime > 0.3;
      },
      undefined,
      { timeout: 30_000 },
    );

    await first.getByRole('button', { name: 'Private' }).click();
    await first.getByRole('button', { name: 'Public', pressed: true }).waitFor();
    expect((await api<ClipDto>(`clips/${clipId}`)).visibility).toBe('public');
    await page.screenshot({ path: screenshotPath('clip-library-playing') });

    const second = page.locator(`.lkr-library__item:not([data-clip-id="${clipId}"])`);
    const doomed = (await second.getAttribute('data-clip-id'))!;
    // Keyboard: Tab reaches Delete with a visible focus ring; Enter opens the confirmation with
    // focus inside it; Escape closes it and gives focus back to Delete.
    const deleteButton = second.getByRole('button', { name: /^Delete / });
    await second.getByRole('button', { name: /^(Public|Private)$/ }).focus();
    await page.keyboard.press('Tab');
    expect(await deleteButton.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await deleteButton.evaluate((el) => getComputedStyle(el).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Delete this clip?' });
    await confirm.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog[open]'))).toBe(true);
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect(await deleteButton.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await cards.count()).toBe(2);

    await deleteButton.click();
    await confirm.waitFor();
    await page.screenshot({ path: screenshotPath('clip-library-delete') });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => cards.count()).toBe(1);
    const left = await api<{ items: ClipDto[] }>('clips');
    expect(left.items.map((c) => c.id)).not.toContain(doomed);

    // Anyone sees the public one in the owner's public clips.
    const visitor = await browser.newPage();
    await visitor.goto(`${server.url}/?view=library&user=visitor&owner=${encodeURIComponent(owner)}`);
    await visitor.locator(`.lkr-library__item[data-clip-id="${clipId}"]`).waitFor();
    expect(await visitor.getByRole('button', { name: /^Delete / }).count()).toBe(0);
    await visitor.close();
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
