// Leases across connections and processes: one winner, renewal, and expiry when the holder
// process is killed without releasing.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { uniqueId } from '@livekit-replay/testing/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { keyPart } from './keys.js';
import { REDIS_URL, useSharedRedis } from './test-support/redis-env.js';

const shared = useSharedRedis('joblock');

/** Holder processes started by a test: killed (whole process group) even when the test fails. */
const holders = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of holders) await killGroup(child);
});

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killGroup(child: ChildProcess): Promise<void> {
  holders.delete(child);
  const exited = child.exitCode === null && child.signalCode === null ? once(child, 'exit') : null;
  if (child.pid !== undefined && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  await exited;
  // The group's other members (tsx's esbuild service) die with the same signal; wait for them.
  for (let i = 0; child.pid !== undefined && groupAlive(child.pid) && i < 100; i++) await sleep(20);
}
const { prefix } = shared;

function instance(): RedisAdapters {
  const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
  shared.track(adapters);
  return adapters;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisJobLock', () => {
  it('gives a lease to exactly one of 50 acquirers on 5 connections, stored as one key with a token', async () => {
    const locks = Array.from({ length: 5 }, () => instance().jobLock);
    const name = uniqueId('cleanup');
    const leases = await Promise.all(
      Array.from({ length: 50 }, (_, i) => locks[i % 5]!.acquire(name, 10_000)),
    );
    const winners = leases.filter((lease) => lease !== null);
    expect(winners).toHaveLength(1);
    const token = await shared.admin.get(`${prefix}lock:${keyPart(name)}`);
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    const pttl = await shared.admin.pttl(`${prefix}lock:${keyPart(name)}`);
    expect(pttl).toBeGreaterThan(9_000);
    await winners[0]!.release();
    expect(await shared.admin.exists(`${prefix}lock:${keyPart(name)}`)).toBe(0);
  });

  it('renews to the new TTL (rounding a fractional TTL up) and refuses renewal once lost', async () => {
    const lock = instance().jobLock;
    const name = uniqueId('reconcile');
    const lease = (await lock.acquire(name, 250.2))!;
    const key = `${prefix}lock:${keyPart(name)}`;
    expect(await shared.admin.pttl(key)).toBeLessThanOrEqual(251);
    expect(await lease.renew(30_000)).toBe(true);
    expect(await shared.admin.pttl(key)).toBeGreaterThan(29_000);
    // Someone deleting the key (an operator, a flush) means the lease is lost.
    await shared.admin.del(key);
    expect(await lease.renew(30_000)).toBe(false);
    expect(await shared.admin.exists(key)).toBe(0);
  });

  it('lets the lease of a killed holder process expire, and never grants it twice meanwhile', async () => {
    const name = uniqueId('sweep');
    const holderScript = fileURLToPath(new URL('./test-support/lock-holder.ts', import.meta.url));
    // One node process (tsx as a loader, not the tsx CLI, which would leave its own child
    // running when killed), in its own process group so that everything it started dies with it.
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', holderScript, REDIS_URL, prefix, name, '4000'],
      { stdio: ['pipe', 'pipe', 'pipe'], detached: true },
    );
    holders.add(child);
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      errors += chunk;
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('\n')) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`lock holder did not start: ${output} ${errors}`);
        }
        await sleep(20);
      }
      expect(output.trim()).toBe('acquired');
    } finally {
      await killGroup(child);
    }
    // Nothing of the holder's process group is left (no node, no esbuild service).
    expect(groupAlive(child.pid!)).toBe(false);
    // The holder is dead and never released: the lease is still held until its TTL runs out.
    const lock = instance().jobLock;
    expect(await lock.acquire(name, 10_000)).toBeNull();
    expect(await shared.admin.pttl(`${prefix}lock:${keyPart(name)}`)).toBeGreaterThan(0);
    const deadline = Date.now() + 8_000;
    let lease = await lock.acquire(name, 10_000);
    while (!lease) {
      if (Date.now() > deadline) throw new Error('the dead holder’s lease never expired');
      await sleep(50);
      lease = await lock.acquire(name, 10_000);
    }
    expect(await instance().jobLock.acquire(name, 10_000)).toBeNull();
    await lease.release();
  });
});
