/**
 * Child process for the "owner dies" test: takes a lease through RedisJobLock, prints
 * `acquired` (or `refused`), then waits to be killed without ever releasing it.
 * Usage: tsx --conditions=source lock-holder.ts <redis url> <key prefix> <lock name> <ttl ms>
 */
import { createRedisAdapters } from '../create-redis-adapters.js';

const [url, keyPrefix, name, ttl] = process.argv.slice(2);
const adapters = createRedisAdapters({ url: url!, keyPrefix: keyPrefix! });
const lease = await adapters.jobLock.acquire(name!, Number(ttl));
process.stdout.write(lease ? 'acquired\n' : 'refused\n');
setInterval(() => {}, 60_000);
