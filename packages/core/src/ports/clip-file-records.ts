import type { ClipRecord } from '../types.js';

/**
 * Keeps the host app's own file records in step with clips (the seed's `File` rows with
 * `resourceType: REPLAY_CLIP`). Optional: pass it as `hooks.clipFileRecords`.
 */
export interface ClipFileRecords {
  /** After a clip is saved. A failure is reported through the manager's `error` event; the save stands. */
  created(input: { clip: ClipRecord }): Promise<void>;
  /** After a clip and its file are deleted. */
  deleted(input: { clip: ClipRecord }): Promise<void>;
}
