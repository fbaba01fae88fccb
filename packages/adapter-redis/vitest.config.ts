import { packageProject } from '../../vitest.shared.js';

// Test files share one Redis server but use their own key prefixes, so they may run in parallel.
export default packageProject('adapter-redis');
