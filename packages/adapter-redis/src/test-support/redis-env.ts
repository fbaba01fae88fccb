/**
 * Test helpers: the shared Redis (REDIS_URL, default 127.0.0.1:6379) with a unique key prefix per
 * test file, cleaned with SCAN + UNLINK on that prefix only; and throwaway redis-server processes
 * for fault tests, so the shared server is never restarted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { FAIL_FAST_OPTIONS } from '../connection.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test file (or parallel run) uses. */
export function uniquePrefix(name: string): string {
  return `lkr-test:${name}:${randomUUID().slice(0, 8)}:`;
}

/**
 * Connects to the shared Redis or throws with instructions. A test run never passes or skips
 * silently without Redis: under CI=true (and locally) a missing server is a failure.
 */
export async function connectSharedRedis(options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(REDIS_URL, { ...FAIL_FAST_OPTIONS, lazyConnect: true, ...options });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    const ci = process.env.CI === 'true' ? ' (CI=true: Redis is required)' : '';
    throw new Error(
      `Redis is not reachable at ${REDIS_URL}${ci}. Start redis-server or set REDIS_URL. Cause: ${
        (error as Error).message
      }`,
    );
  }
}

/** Deletes every key under `prefix` (SCAN MATCH prefix*), never anything else. */
export async function deletePrefix(client: Redis, prefix: string): Promise<number> {
  if (!/^lkr-test:[A-Za-z0-9_-]+:[0-9a-f]{8}:$/.test(prefix)) {
    throw new Error(`refusing to clean a prefix that is not a test prefix: ${prefix}`);
  }
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A private redis-server without persistence on its own port. `stop()` kills it (its data is
 * gone, like a crashed cache), `start()` brings a fresh one back on the same port.
 */
export class ThrowawayRedis {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<ThrowawayRedis> {
    const server = new ThrowawayRedis(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== null;
  }

  async start(): Promise<void> {
    if (this.process) return;
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.process = child;
    killWithThisProcess(child);
    child.once('exit', () => {
      if (this.process === child) this.process = null;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (await this.answersPing()) return;
      if (!this.process) throw new Error(`redis-server on port ${this.port} exited at start`);
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`redis-server on port ${this.port} did not start within 10 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL: the server vanishes mid-run, connections drop without a goodbye. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = null;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  private answersPing(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  }
}

/**
 * A TCP proxy in front of a Redis server, to cut the network without touching the server:
 * `cut()` drops every connection and refuses new ones, `restore()` accepts again (same port).
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly pairs = new Set<[net.Socket, net.Socket]>();

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), targetPort);
    await proxy.restore();
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restore(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => {
        this.pairs.delete(pair);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  /**
   * A silent partition: connections stay open but nothing is forwarded any more (no RST, no
   * FIN), like packets dropped by a firewall. New connections are refused. `cut()` ends it.
   */
  async blackhole(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
    // Stop accepting; the listening socket finishes closing once `cut()` ends the connections.
    this.closing = this.closeServer();
  }

  private closing: Promise<void> | null = null;

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = null;
    return server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.closing;
    this.closing = null;
  }
}

/**
 * A private three-master Redis Cluster (no replicas, no persistence) on free ports, in a temp
 * directory that `stop()` removes along with the processes.
 */
export class ThrowawayCluster {
  private readonly processes: ChildProcess[] = [];

  private constructor(
    readonly ports: number[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<ThrowawayCluster> {
    const { mkdtemp } = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lkr-redis-cluster-'));
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) ports.push(await freePort());
    const cluster = new ThrowawayCluster(ports, dir);
    try {
      for (const port of ports) {
        const child = spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
          ],
          { cwd: dir, stdio: 'ignore' },
        );
        cluster.processes.push(child);
        killWithThisProcess(child);
      }
      await cluster.waitFor(async (client) => (await client.ping()) === 'PONG', 'the nodes to start');
      const create = spawn(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...ports.map((p) => `127.0.0.1:${p}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { stdio: 'ignore' },
      );
      const [code] = (await once(create, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}`);
      await cluster.waitFor(
        async (client) => String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok'),
        'cluster_state:ok on every node',
      );
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  get nodes(): Array<{ host: string; port: number }> {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    this.processes.length = 0;
    const { rm } = await import('node:fs/promises');
    await rm(this.dir, { recursive: true, force: true });
  }

  private async waitFor(check: (client: Redis) => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (const port of this.ports) {
      for (;;) {
        const client = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => null });
        client.on('error', () => {});
        try {
          await client.connect();
          if (await check(client)) break;
        } catch {
          // not yet
        } finally {
          client.disconnect();
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

export interface SharedRedisFixture {
  /** This test file's key prefix (cleaned after the file). */
  readonly prefix: string;
  /** A plain connection for reading what reached Redis (ready once the file's tests run). */
  readonly admin: Redis;
  /** Registers adapters so they are closed after the file; returns them. */
  track<T extends { close(): Promise<void> }>(adapters: T): T;
}

/**
 * The shared Redis for one test file: a unique prefix, an admin connection opened before the
 * tests, and after them the prefix's keys deleted (first, so a slow close cannot leave data
 * behind) and every tracked adapter closed.
 */
export function useSharedRedis(name: string): SharedRedisFixture {
  const prefix = uniquePrefix(name);
  const opened: Array<{ close(): Promise<void> }> = [];
  let admin: Redis | undefined;
  beforeAll(async () => {
    admin = await connectSharedRedis();
  });
  afterAll(async () => {
    if (admin) await deletePrefix(admin, prefix);
    await Promise.allSettled(opened.map((adapters) => adapters.close()));
    admin?.disconnect();
  });
  return {
    prefix,
    get admin(): Redis {
      if (!admin) throw new Error('the admin connection opens in beforeAll; use it inside a test');
      return admin;
    },
    track(adapters) {
      opened.push(adapters);
      return adapters;
    },
  };
}

/** A test server must not outlive the test process, even when a failed test skipped its stop(). */
function killWithThisProcess(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
}
