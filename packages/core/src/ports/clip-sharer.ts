import type { ClipRecord } from '../types.js';

/** Where a shared clip is posted: a channel the clip's owner can write to, or a direct message. */
export type ClipShareTarget = 'channel' | 'dm';

/** Everything an integrator needs to post a clip into its chat. */
export interface ClipShareRequest {
  /** The clip being shared (already public, so every recipient can open it). */
  clip: ClipRecord;
  /** The same clip as a record shaped like the host app's `File` model. */
  file: ClipFileRecord;
  /** The user sharing it (always the clip's owner). */
  sharedByUserId: string;
  target: ClipShareTarget;
  /** Set when `target` is `channel`. */
  channelId: string | null;
  /** Set when `target` is `dm`. */
  recipientUserId: string | null;
  /** Text to post with the clip, trimmed; null when none was given. */
  message: string | null;
}

export interface ClipShareResult {
  /** The id of the message the integrator posted (for links and undo). */
  messageId: string;
}

/**
 * Posts a clip into the host application's chat (the seed's `shareOption: 'channel' | 'dm'`).
 * Implemented by the integrator; the manager has already checked ownership and asked the
 * authorize hook (`share_clip`) before calling it. Throw to refuse; a ReplayBufferError passes
 * through unchanged, anything else becomes `INTERNAL`.
 */
export interface ClipSharer {
  share(request: ClipShareRequest): Promise<ClipShareResult>;
}

/**
 * A clip described like the host app's `File` model (`resourceType: 'REPLAY_CLIP'`), so the
 * message attachment code that already handles uploads can show it. See `toFileRecord`.
 */
export interface ClipFileRecord {
  id: string;
  filename: string;
  mimeType: string;
  /** Bytes. */
  size: number;
  /** SHA-256, lowercase hex. */
  checksum: string;
  resourceType: 'REPLAY_CLIP';
  /** Storage key inside the clip storage (not a filesystem path). */
  storagePath: string;
  uploadedById: string;
  createdAt: Date;
}
