/** Shared set-up for the lifecycle tests (not a test file itself). */
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EgressInfo, type EgressStatus, WebhookEvent } from '@livekit/protocol';
import type { ReplayNotification } from '../../events.js';
import { MemorySessionStore } from '../../memory/memory-session-store.js';
import { LIVE_PLAYLIST_NAME, PLAYLIST_NAME, SEGMENT_PREFIX } from '../../runtime/session-lifecycle.js';
import type { ReplaySession } from '../../types.js';
import type { ReplayBufferManagerOptions } from '../options.js';
import { ReplayBufferManager } from '../replay-buffer-manager.js';

export const API_KEY = 'lifecycle-key';
export const API_SECRET = 'lifecycle-secret-lifecycle-secret-32';

export async function tempRoot(prefix: string): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A manager whose notifications are recorded. */
export async function recordingManager(options: ReplayBufferManagerOptions): Promise<{
  manager: ReplayBufferManager;
  notifications: ReplayNotification[];
  errors: Error[];
}> {
  const manager = new ReplayBufferManager(options);
  const notifications: ReplayNotification[] = [];
  const errors: Error[] = [];
  await manager.subscribe((n) => notifications.push(n));
  manager.events.on('error', (e) => errors.push(e));
  return { manager, notifications, errors };
}

/** A session record as startReplayBuffer would leave it, written straight into the store. */
export async function seedSession(
  store: MemorySessionStore,
  fields: { id: string; userId: string; roomName?: string; egressId?: string | null; active?: boolean },
): Promise<ReplaySession> {
  await store.create({
    id: fields.id,
    userId: fields.userId,
    roomName: fields.roomName ?? 'room-1',
    videoTrackId: 'TR_video',
    audioTrackId: null,
    communityId: null,
    channelId: null,
    quality: '720p',
    egressId: null,
    segmentDir: fields.id,
    filenamePrefix: SEGMENT_PREFIX,
    playlistName: PLAYLIST_NAME,
    livePlaylistName: LIVE_PLAYLIST_NAME,
    segmentNaming: 'INDEX',
    segmentDurationSeconds: 2,
  });
  if (fields.egressId !== undefined && fields.egressId !== null) {
    await store.patch(fields.id, ['starting'], { egressId: fields.egressId });
  }
  if (fields.active) {
    await store.transition(fields.id, ['starting'], 'active', { startedAt: new Date() });
  }
  return (await store.get(fields.id))!;
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** An HS256 JWT with exactly these claims (lets tests build expired or odd tokens). */
export function signJwt(claims: Record<string, unknown>, secret: string, alg = 'HS256'): string {
  const header = base64url(JSON.stringify({ alg, typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  if (alg === 'none') return `${header}.${payload}.`;
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export function bodyHash(body: string): string {
  return createHash('sha256').update(body).digest('base64');
}

/** Signs like LiveKit: raw JWT, iss = key, sha256 of the body, exp in 5 minutes. */
export function signWebhookBody(
  body: string,
  options: { key?: string; secret?: string; expSeconds?: number; sha256?: string | null } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: options.key ?? API_KEY,
    nbf: now - 5,
    exp: now + (options.expSeconds ?? 300),
  };
  if (options.sha256 !== null) claims.sha256 = options.sha256 ?? bodyHash(body);
  return signJwt(claims, options.secret ?? API_SECRET);
}

const NS_PER_MS = 1_000_000n;

export interface EgressEventSpec {
  event: 'egress_started' | 'egress_updated' | 'egress_ended';
  egressId: string;
  roomName?: string;
  status: EgressStatus;
  error?: string;
  startedAtMs?: number;
  endedAtMs?: number;
  /** Event id (LiveKit redeliveries share it). */
  id?: string;
}

/** The JSON body LiveKit would POST for an egress event. */
export function egressWebhookBody(spec: EgressEventSpec): string {
  const info = new EgressInfo({
    egressId: spec.egressId,
    roomName: spec.roomName ?? 'room-1',
    status: spec.status,
    error: spec.error ?? '',
    startedAt: spec.startedAtMs ? BigInt(spec.startedAtMs) * NS_PER_MS : 0n,
    endedAt: spec.endedAtMs ? BigInt(spec.endedAtMs) * NS_PER_MS : 0n,
  });
  const event = new WebhookEvent({
    event: spec.event,
    egressInfo: info,
    id: spec.id ?? `EV_${spec.egressId}_${spec.status}`,
    createdAt: BigInt(Math.floor(Date.now() / 1000)),
  });
  return event.toJsonString();
}

/** A real HTTP endpoint that hands LiveKit's webhooks to the manager, as the Nest route does. */
export async function startWebhookEndpoint(
  target: ReplayBufferManager | (() => ReplayBufferManager | null),
): Promise<{ url: string; received: number; close: () => Promise<void> }> {
  const managerOf = typeof target === 'function' ? target : () => target;
  const state = { received: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.received++;
      const manager = managerOf();
      if (!manager) {
        res.writeHead(503).end();
        return;
      }
      manager
        .handleWebhook({
          body: Buffer.concat(chunks).toString('utf8'),
          authorization: req.headers.authorization,
        })
        .then(
          () => {
            res.writeHead(200).end();
          },
          (error: { status?: number }) => {
            res.writeHead(error.status ?? 500).end();
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/livekit/webhook`,
    get received() {
      return state.received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function memorySessions(): MemorySessionStore {
  return new MemorySessionStore();
}

/** Polls `check` until it returns a value (not undefined/false) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a buffer through the public API and returns the stored record (directories, names). */
export async function startAndLoad(
  manager: ReplayBufferManager,
  input: Parameters<ReplayBufferManager['startReplayBuffer']>[0],
): Promise<ReplaySession> {
  const started = await manager.startReplayBuffer(input);
  const { ctx } = manager as unknown as {
    ctx: { sessions: { get(id: string): Promise<ReplaySession | null> } };
  };
  return (await ctx.sessions.get(started.id))!;
}
