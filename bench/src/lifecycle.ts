import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EgressInfo,
  EgressStatus,
  SegmentedFileOutput,
  TrackCompositeEgressRequest,
  WebhookEvent,
} from '@livekit/protocol';
import { ReplayBufferManager, type SessionStore } from '@livekit-replay/core';
import { newId } from '@livekit-replay/core/adapter';
import { signWebhook } from '@livekit-replay/testing';
import { type OpenedStore, openStore, type StoreKind } from './stores.js';
import { errorMessage, log, nowMs } from './util.js';

const API_KEY = 'bench-key';
const API_SECRET = 'bench-secret-bench-secret-bench-secret';

export interface WebhookBenchResult {
  kind: StoreKind;
  description: string;
  events: number;
  sessions: number;
  concurrency: number;
  seconds: number;
  eventsPerSecond: number;
  applied: number;
  ignored: number;
  /** Sessions whose final status matched what the events imply. */
  consistent: boolean;
  /** The store's `findByEgressId` alone, same concurrency: its ceiling for any delivery. */
  lookupsPerSecond: number;
  /** `transition(id, ['starting'], 'active')` on active sessions alone (a duplicate's CAS). */
  noopTransitionsPerSecond: number;
}

export type Measured<T> = T | { kind: StoreKind; error: string };

/** A manager wired to `sessions`; no LiveKit server is contacted by webhook handling. */
export function benchManager(sessions: SessionStore, root: string): ReplayBufferManager {
  return new ReplayBufferManager({
    config: {
      livekit: { url: 'http://127.0.0.1:9', apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir: join(root, 'segments'),
      clipsDir: join(root, 'clips'),
    },
    stores: { sessions },
    coordination: { rateLimiter: false },
  });
}

interface Signed {
  body: string;
  authorization: string;
}

async function signedEvent(
  event: 'egress_started' | 'egress_updated' | 'egress_ended',
  session: { id: string; egressId: string; roomName: string },
  status: EgressStatus,
  atMs: number,
): Promise<Signed> {
  const ns = (ms: number) => BigInt(Math.floor(ms)) * 1_000_000n;
  const info = new EgressInfo({
    egressId: session.egressId,
    roomId: 'RM_bench',
    roomName: session.roomName,
    status,
    updatedAt: ns(atMs),
    ...(status !== EgressStatus.EGRESS_STARTING ? { startedAt: ns(atMs - 1000) } : {}),
    ...(status === EgressStatus.EGRESS_COMPLETE ? { endedAt: ns(atMs) } : {}),
    request: {
      case: 'trackComposite',
      value: new TrackCompositeEgressRequest({
        roomName: session.roomName,
        videoTrackId: 'TR_video',
        segmentOutputs: [
          new SegmentedFileOutput({
            filenamePrefix: `${session.id}/replay`,
            playlistName: 'replay.m3u8',
            livePlaylistName: 'replay-live.m3u8',
            segmentDuration: 2,
          }),
        ],
      }),
    },
  });
  const webhook = new WebhookEvent({
    event,
    egressInfo: info,
    id: `EV_${newId('b').slice(2, 14)}`,
    createdAt: BigInt(Math.floor(atMs / 1000)),
  });
  const body = webhook.toJsonString();
  return { body, authorization: await signWebhook(body, API_KEY, API_SECRET) };
}

/** Deterministic PRNG so every store sees the same event sequence. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Webhook throughput with one session store: `sessions` live sessions, then `events`
 * LiveKit-signed deliveries through `manager.handleWebhook` (signature check + state change),
 * `concurrency` in flight. The mix, as LiveKit produces it: each session's egress_started
 * and egress_updated(ACTIVE) (applied), then redeliveries of those (duplicates, no change),
 * and egress_ended(COMPLETE) for one session in ten (applied) followed by its redeliveries.
 * Signing happens before the clock starts (it is LiveKit's work, not ours).
 */
export async function benchWebhooks(
  kind: StoreKind,
  options: { sessions: number; events: number; concurrency: number },
): Promise<Measured<WebhookBenchResult>> {
  const opened = await openStore(kind);
  if ('error' in opened) return opened;
  const root = await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'lkr-bench-webhooks-'));
  try {
    return await runWebhookBench(opened, root, options);
  } catch (error) {
    return { kind, error: errorMessage(error) };
  } finally {
    await opened.close().catch(() => {});
    await rm(root, { recursive: true, force: true });
  }
}

async function runWebhookBench(
  store: OpenedStore,
  root: string,
  options: { sessions: number; events: number; concurrency: number },
): Promise<WebhookBenchResult> {
  const manager = benchManager(store.sessions, root);
  const now = Date.now();
  const sessions: Array<{ id: string; egressId: string; roomName: string }> = [];
  for (let i = 0; i < options.sessions; i++) {
    const id = newId('ses');
    const egressId = `EG_bench${String(i).padStart(6, '0')}`;
    const roomName = `room-${i}`;
    await store.sessions.create({
      id,
      userId: `user-${i}`,
      roomName,
      videoTrackId: 'TR_video',
      audioTrackId: null,
      communityId: null,
      channelId: null,
      quality: '1080p',
      egressId,
      segmentDir: id,
      filenamePrefix: 'replay',
      playlistName: 'replay.m3u8',
      livePlaylistName: 'replay-live.m3u8',
      segmentNaming: 'INDEX',
      segmentDurationSeconds: 2,
    });
    sessions.push({ id, egressId, roomName });
  }
  const started: Signed[] = [];
  const active: Signed[] = [];
  const ended: Signed[] = [];
  for (const s of sessions) {
    started.push(await signedEvent('egress_started', s, EgressStatus.EGRESS_STARTING, now));
    active.push(await signedEvent('egress_updated', s, EgressStatus.EGRESS_ACTIVE, now + 1000));
  }
  const endingCount = Math.max(1, Math.floor(sessions.length / 10));
  for (const s of sessions.slice(0, endingCount)) {
    ended.push(await signedEvent('egress_ended', s, EgressStatus.EGRESS_COMPLETE, now + 60_000));
  }
  // The delivery sequence.
  const rand = random(7);
  const sequence: Signed[] = [];
  for (let i = 0; i < sessions.length; i++) sequence.push(started[i]!, active[i]!);
  const duplicates = options.events - sequence.length - 2 * ended.length;
  for (let i = 0; i < duplicates; i++) {
    const pick = Math.floor(rand() * sessions.length);
    sequence.push(rand() < 0.8 ? active[pick]! : started[pick]!);
  }
  for (const e of ended) sequence.push(e);
  for (const e of ended) sequence.push(e);

  let applied = 0;
  let ignored = 0;
  let next = 0;
  const startedAt = nowMs();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < sequence.length) {
        const delivery = sequence[next++]!;
        const result = await manager.handleWebhook({
          body: delivery.body,
          authorization: delivery.authorization,
        });
        if (result.applied) applied++;
        else ignored++;
      }
    }),
  );
  const seconds = (nowMs() - startedAt) / 1000;

  let consistent = true;
  for (const [i, s] of sessions.entries()) {
    const session = await store.sessions.get(s.id);
    const expected = i < endingCount ? 'stopped' : 'active';
    if (session?.status !== expected) consistent = false;
  }
  // The first store call every delivery makes, alone.
  const lookups = Math.min(sequence.length, 5000);
  let done = 0;
  const lookupStarted = nowMs();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (done < lookups) {
        const s = sessions[done++ % sessions.length]!;
        await store.sessions.findByEgressId(s.egressId);
      }
    }),
  );
  const lookupsPerSecond = lookups / ((nowMs() - lookupStarted) / 1000);
  const activeIds = sessions.slice(endingCount).map((s) => s.id);
  let casDone = 0;
  const casStarted = nowMs();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (casDone < lookups) {
        const id = activeIds[casDone++ % activeIds.length]!;
        await store.sessions.transition(id, ['starting'], 'active', { startedAt: new Date() });
      }
    }),
  );
  const noopTransitionsPerSecond = lookups / ((nowMs() - casStarted) / 1000);
  log(
    `  webhooks ${store.kind}: ${(sequence.length / seconds).toFixed(0)}/s (${applied} applied); lookups alone ${lookupsPerSecond.toFixed(0)}/s, no-op CAS alone ${noopTransitionsPerSecond.toFixed(0)}/s`,
  );
  return {
    kind: store.kind,
    description: store.description,
    events: sequence.length,
    sessions: sessions.length,
    concurrency: options.concurrency,
    seconds,
    eventsPerSecond: sequence.length / seconds,
    applied,
    ignored,
    consistent,
    lookupsPerSecond,
    noopTransitionsPerSecond,
  };
}

export interface VerifyOnlyResult {
  events: number;
  sequentialPerSecond: number;
  concurrentPerSecond: number;
  concurrency: number;
}

/**
 * The ceiling set by signature checking alone: livekit-server-sdk's WebhookReceiver.receive
 * (JWT HS256 verification, body SHA-256, JSON parse) on a realistic egress_updated body.
 */
export async function benchVerifyOnly(events: number, concurrency: number): Promise<VerifyOnlyResult> {
  const { WebhookReceiver } = await import('livekit-server-sdk');
  const receiver = new WebhookReceiver(API_KEY, API_SECRET);
  const signed = await signedEvent(
    'egress_updated',
    { id: 'ses_verify', egressId: 'EG_verify', roomName: 'room-verify' },
    EgressStatus.EGRESS_ACTIVE,
    Date.now(),
  );
  for (let i = 0; i < 200; i++) await receiver.receive(signed.body, signed.authorization);
  let started = nowMs();
  for (let i = 0; i < events; i++) await receiver.receive(signed.body, signed.authorization);
  const sequentialPerSecond = events / ((nowMs() - started) / 1000);
  let next = 0;
  started = nowMs();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < events) await receiver.receive(signed.body, signed.authorization);
    }),
  );
  const concurrentPerSecond = events / ((nowMs() - started) / 1000);
  log(
    `  signature check alone: ${sequentialPerSecond.toFixed(0)}/s sequential, ${concurrentPerSecond.toFixed(0)}/s concurrent`,
  );
  return { events, sequentialPerSecond, concurrentPerSecond, concurrency };
}
