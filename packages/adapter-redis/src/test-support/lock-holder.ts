/**
 * Child process for the "owner dies" test: takes a lease through RedisJobLock, prints
 * `acquired` (or `refused`), then waits to be killed without ever releasing it.
 * Usage: node --conditions=source --import tsx lock-holder.ts <redis url> <key prefix> <lock name> <ttl ms>
 *
 * It never outlives its test: it exits (still without releasing) when its stdin closes — the
 * test process ended or crashed — or after a minute at the latest.
 */
import { createRedisAdapters } from '../create-redis-adapters.js';

const [url, keyPrefix, name, ttl] = process.argv.slice(2);
const adapters = createRedisAdapters({ url: url!, keyPrefix: keyPrefix! });
const lease = await adapters.jobLock.acquire(name!, Number(ttl));
process.stdout.write(lease ? 'acquired\n' : 'refused\n');
const exit = () => process.exit(0);
process.stdin.on('end', exit).on('close', exit).resume();
setTimeout(exit, 60_000);
