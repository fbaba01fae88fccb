// The whole feature in a real browser, as two people use it: the app runs as a child process
// (emulated screen share, SQLite, local directories or a bucket), Chromium drives its pages.
// journey.test.ts runs it on local directories, journey-s3.test.ts with REPLAY_STORAGE=s3.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AppServer,
  ensureFrontendBuilt,
  ffmpegDescendants,
  isFfmpegRunning,
  startAppServer,
} from './app-server.js';
import { launchChromium, screenshotPath, seriousViolations } from './browser.js';

const API = '/livekit/replay';
/** Waits on visible states only; generous, for a loaded 2-core machine. */
const LONG = 180_000;

/** expect.poll with the long deadline (its default is one second). */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: LONG, interval: 250 });

interface Clip {
  id: string;
  durationSeconds: number;
  visibility: string;
}

/** Every file name under `dir` (recursively) that matches. */
function filesUnder(dir: string, match: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) =>
    match.test(path.basename(name)),
  );
}

export function describeJourney(storage: 'local' | 's3'): void {
  // The README's screenshots come from the local run; the S3 run's go to temp files.
  const shot = (name: string) =>
    storage === 'local' ? screenshotPath(name) : path.join(tmpdir(), `lkr-refapp-s3-${name}.png`);

  describe(`reference app journey (two users, Chromium, ${storage} storage)`, () => {
    let app: AppServer;
    let browser: Browser;
    let alice: Page;
    let bob: Page;
    let quotaBefore = 0;
    let trimmed: Clip;
    let minute: Clip;

    beforeAll(async () => {
      ensureFrontendBuilt();
      app = await startAppServer({
        REPLAY_STORAGE: storage,
        // Enough history for a 1-minute save at once; small frames keep the machine free.
        REPLAY_EMULATOR_HISTORY_SECONDS: '75',
        REPLAY_EMULATOR_HEIGHT: '360',
        REPLAY_EMULATOR_FPS: '10',
      });
      browser = await launchChromium();
      alice = await newUserPage(browser, 'Alice');
      bob = await newUserPage(browser, 'Bob');
    }, 2 * LONG);

    afterAll(async () => {
      await browser?.close();
      await app?.dispose();
    });

    async function newUserPage(b: Browser, name: string): Promise<Page> {
      const context: BrowserContext = await b.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      page.setDefaultTimeout(LONG);
      await page.goto(app.url);
      await page.getByRole('heading', { name: 'Sign in as a demo user' }).waitFor();
      if (name === 'Alice') {
        await page.screenshot({ path: shot('sign-in') });
        expect(await seriousViolations(page), 'sign-in page').toEqual([]);
      }
      await page.getByRole('button', { name }).click();
      await page.getByRole('heading', { name: /Voice channel/ }).waitFor();
      return page;
    }

    async function api<T>(page: Page, path: string): Promise<{ status: number; body: T }> {
      const response = await page.request.get(`${app.url}${API}/${path}`);
      return { status: response.status(), body: (await response.json().catch(() => null)) as T };
    }

    const quotaUsed = async (page: Page) => {
      const { body } = await api<{ usedBytes: number; reservedBytes: number }>(page, 'quota');
      return body.usedBytes + body.reservedBytes;
    };

    const clipItem = (page: Page, id: string): Locator => page.locator(`li[data-clip-id="${id}"]`);

    async function openMyClips(page: Page) {
      await page.getByRole('link', { name: 'My clips' }).click();
      await page.locator('.lkr-library[data-state="ready"]').waitFor();
    }

    async function waitForPlayback(video: Locator) {
      await video.evaluate(
        (element: HTMLVideoElement) =>
          new Promise<void>((resolve, reject) => {
            const check = () => element.currentTime > 0.5 && resolve();
            element.addEventListener('timeupdate', check);
            element.addEventListener('error', () => reject(new Error(`video error ${element.error?.code}`)));
            check();
          }),
      );
    }

    it('A shares (emulated) and the buffer records; the page passes axe', async () => {
      await alice.getByRole('button', { name: 'Share screen' }).click();
      await alice.getByRole('button', { name: 'Stop sharing' }).waitFor();
      await alice.locator('.buffer-indicator[data-phase="recording"]').waitFor();
      // The emulator pre-fills 75 s of history: wait until a minute is buffered.
      await alice.waitForFunction(() => {
        const text = document.querySelector('.buffer-indicator')?.textContent ?? '';
        const match = /(\d+):(\d+) buffered/.exec(text);
        return match !== null && Number(match[1]) * 60 + Number(match[2]) >= 61;
      });
      await eventually(() => alice.getByRole('button', { name: 'Save replay' }).isEnabled()).toBe(true);
      if (storage === 's3') {
        // The egress uploaded the segments to the bucket; none was written to a local directory.
        expect(app.output()).toMatch(/\[app\] storage: local S3 server/);
        expect(filesUnder(path.join(app.dataDir, 's3'), /^replay_\d+\.ts/).length).toBeGreaterThan(0);
        expect(filesUnder(app.dataDir, /^replay_\d+\.ts$/)).toEqual([]);
      }
      await alice.screenshot({ path: shot('voice-channel') });
      expect(await seriousViolations(alice), 'voice channel').toEqual([]);
    });

    it('A saves the last minute: the clip appears in My clips with a poster and plays', async () => {
      await alice.getByRole('button', { name: 'Save replay' }).click();
      const dialog = alice.getByRole('dialog', { name: 'Save a replay' });
      await dialog.waitFor();
      await eventually(() => dialog.getByRole('radio', { name: /Last 1 min/ }).isChecked()).toBe(true);
      await alice.screenshot({ path: shot('save-replay') });
      expect(await seriousViolations(alice), 'save dialog').toEqual([]);
      await dialog.getByRole('button', { name: 'Save last 1 min' }).click();
      await dialog.getByText(/Saved a 1:00 clip/).waitFor();
      await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
      await dialog.waitFor({ state: 'hidden' });

      const { body } = await api<{ items: Clip[] }>(alice, 'clips');
      minute = body.items[0] as Clip;
      expect(Math.abs(minute.durationSeconds - 60)).toBeLessThanOrEqual(0.1);

      await openMyClips(alice);
      const item = clipItem(alice, minute.id);
      const poster = item.locator('img');
      await eventually(() =>
        poster.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      ).toBe(true);
      await alice.screenshot({ path: shot('my-clips') });
      expect(await seriousViolations(alice), 'my clips').toEqual([]);
      await item.getByRole('button', { name: /^Play / }).click();
      await waitForPlayback(item.locator('video'));
      if (storage === 's3') {
        // The clip is in the bucket: its file route redirects to a presigned URL there.
        const endpoint = /local S3 server \(s3rver\) at (\S+),/.exec(app.output())?.[1];
        const file = await alice.request.get(`${app.url}${API}/clips/${minute.id}/file`, { maxRedirects: 0 });
        expect(file.status()).toBe(302);
        expect(file.headers().location).toContain(`${endpoint}/replay/clips/${minute.id}.mp4?`);
      }
    });

    it('A trims a 20 s range with the keyboard and saves it (duration within 0.1 s)', async () => {
      await alice.getByRole('link', { name: /# general/ }).click();
      await alice.locator('.buffer-indicator[data-phase="recording"]').waitFor();
      quotaBefore = await quotaUsed(alice);
      await alice.getByRole('button', { name: 'Save replay' }).click();
      const dialog = alice.getByRole('dialog', { name: 'Save a replay' });
      await dialog.getByRole('checkbox', { name: 'Trim before saving' }).check();
      await dialog.getByRole('button', { name: 'Trim…' }).click();
      const trim = alice.getByRole('dialog', { name: 'Trim the replay' });
      const start = trim.getByRole('slider', { name: 'Clip start' });
      await start.waitFor();
      await eventually(() => trim.getByText('Loading the preview…').count()).toBe(0);
      // A minute is selected; PageUp moves the start 10 s later: four presses leave 20 s.
      await start.focus();
      for (let i = 0; i < 4; i++) await alice.keyboard.press('PageUp');
      await eventually(() => trim.locator('dt:text-is("Length") + dd').textContent()).toMatch(
        /^0:20(\.00)?$/,
      );
      await alice.screenshot({ path: shot('trim') });
      expect(await seriousViolations(alice), 'trim dialog').toEqual([]);
      await trim.getByRole('button', { name: 'Save clip' }).click();
      await alice.getByText(/Saved a 0:20 clip/).waitFor();
      await alice.keyboard.press('Escape');
      await trim.waitFor({ state: 'hidden' });

      const { body } = await api<{ items: Clip[] }>(alice, 'clips');
      trimmed = body.items[0] as Clip;
      expect(Math.abs(trimmed.durationSeconds - 20)).toBeLessThanOrEqual(0.1);
    });

    it('A shares it to the channel; B sees it in the feed and plays it', async () => {
      await openMyClips(alice);
      const item = clipItem(alice, trimmed.id);
      await item.getByRole('button', { name: 'Share' }).click();
      const share = alice.getByRole('dialog', { name: 'Share this clip' });
      await eventually(() => share.getByRole('combobox', { name: 'Share to' }).inputValue()).toBe(
        'channel:general',
      );
      await share.getByRole('button', { name: 'Share', exact: true }).click();
      await alice.locator(`li[data-clip-id="${trimmed.id}"][data-visibility="public"]`).waitFor();

      const message = bob.getByRole('article', { name: 'Message from Alice' });
      const video = message.locator('video');
      await video.waitFor();
      await video.evaluate((element: HTMLVideoElement) => {
        element.muted = true;
        void element.play();
      });
      await waitForPlayback(video);
      await bob.screenshot({ path: shot('channel-feed') });
      expect(await seriousViolations(bob), 'channel feed').toEqual([]);

      await bob.getByRole('link', { name: "Alice's clips" }).click();
      await bob.locator(`li[data-clip-id="${trimmed.id}"]`).waitFor();
      await bob.screenshot({ path: shot('profile') });
      expect(await seriousViolations(bob), 'profile').toEqual([]);
    });

    it('A sends the minute to B as a direct message; B finds it under Direct messages', async () => {
      await openMyClips(alice);
      await clipItem(alice, minute.id).getByRole('button', { name: 'Share' }).click();
      const share = alice.getByRole('dialog', { name: 'Share this clip' });
      await share.getByRole('combobox', { name: 'Share to' }).selectOption('dm:bob');
      await share.getByRole('button', { name: 'Share', exact: true }).click();
      await alice.locator(`li[data-clip-id="${minute.id}"][data-visibility="public"]`).waitFor();

      await bob.getByRole('link', { name: 'Direct messages' }).click();
      await bob.getByRole('article', { name: 'Message from Alice' }).locator('video').waitFor();
      expect(await seriousViolations(bob), 'direct messages').toEqual([]);
    });

    it('A makes it private: B can no longer open it', async () => {
      const item = clipItem(alice, trimmed.id);
      await item.getByRole('button', { name: 'Public', pressed: true }).click();
      await alice.locator(`li[data-clip-id="${trimmed.id}"][data-visibility="private"]`).waitFor();

      expect((await api(bob, `clips/${trimmed.id}`)).status).toBeGreaterThanOrEqual(400);
      expect(
        (await bob.request.get(`${app.url}${API}/clips/${trimmed.id}/file`)).status(),
      ).toBeGreaterThanOrEqual(400);
      await bob.getByRole('link', { name: /# general/ }).click();
      await bob.reload();
      await bob
        .getByRole('article', { name: 'Message from Alice' })
        .locator('[data-clip-unavailable]')
        .waitFor();
    });

    it('A deletes it and the quota returns to where it was', async () => {
      const item = clipItem(alice, trimmed.id);
      await item.getByRole('button', { name: /^Delete / }).click();
      const confirm = alice.getByRole('dialog', { name: 'Delete this clip?' });
      await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
      await item.waitFor({ state: 'detached' });
      await eventually(() => quotaUsed(alice)).toBe(quotaBefore);
      expect((await api(alice, `clips/${trimmed.id}`)).status).toBe(404);
      if (storage === 's3') {
        // The clip's objects (file and poster) left the bucket.
        expect(filesUnder(path.join(app.dataDir, 's3'), new RegExp(trimmed.id))).toEqual([]);
      }
    });

    it('the buffer stopping shows a toast', async () => {
      await alice.getByRole('link', { name: /# general/ }).click();
      await alice.getByRole('button', { name: 'Stop sharing' }).click();
      const toast = alice.getByRole('status').filter({ hasText: 'Your replay buffer stopped' });
      await toast.waitFor();
      await alice.locator('.buffer-indicator[data-phase="stopped"]').waitFor();
      await alice.screenshot({ path: shot('buffer-stopped') });
    });

    it('Ctrl-C (SIGINT) stops the buffers and exits 0, leaving no ffmpeg behind', async () => {
      await alice.getByRole('button', { name: 'Share screen' }).click();
      await alice.locator('.buffer-indicator[data-phase="recording"]').waitFor();
      const running = ffmpegDescendants(app.pid);
      expect(running.length).toBeGreaterThan(0);
      const code = await app.interrupt();
      expect(code, app.output()).toBe(0);
      // After the signal: the app asked the egress to stop (StopEgress), then closed everything.
      const afterSignal = app.output().split('SIGINT: stopping')[1] ?? '';
      expect(afterSignal, app.output()).toMatch(/\[emulator\] EG_\w+ stopping/);
      expect(afterSignal, app.output()).toMatch(/\[app\] stopped/);
      expect(running.filter(isFfmpegRunning)).toEqual([]);
    });
  });
}
