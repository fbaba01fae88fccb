import type { ReplayConfig, ReplayConfigInput } from '../config.js';
import type { ClipFileRecords } from '../ports/clip-file-records.js';
import type { ClipSharer } from '../ports/clip-sharer.js';
import type { ClipStorage } from '../ports/clip-storage.js';
import type { ClipStore } from '../ports/clip-store.js';
import type { CommunityConfigStore } from '../ports/community-config-store.js';
import type { EgressGateway } from '../ports/egress-gateway.js';
import type { JobLock } from '../ports/job-lock.js';
import type { MediaPipeline } from '../ports/media-pipeline.js';
import type { Notifier } from '../ports/notifier.js';
import type { QuotaLedger } from '../ports/quota-ledger.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { SegmentSourceFactory } from '../ports/segment-source.js';
import type { SessionStore } from '../ports/session-store.js';
import type { AuthorizeHook, PreviewUrlBuilder, ResolveParticipantHook } from '../runtime/context.js';

/** Where records live. Omitted ones are in memory (one process, lost on restart: a `warning` says so). */
export interface ReplayStores {
  sessions?: SessionStore;
  clips?: ClipStore;
  quotas?: QuotaLedger;
  communities?: CommunityConfigStore;
}

/** What several instances share. Omitted: in-process. */
export interface ReplayCoordination {
  /** Delivers notifications to wherever the user's UI is connected. */
  notifier?: Notifier;
  /** One maintenance pass per tick across instances. */
  jobLock?: JobLock;
  /** Per-user save limits; default 3 a minute and 15 an hour in-process; `false` turns them off. */
  rateLimiter?: RateLimiter | false;
}

/** The host app's extension points. */
export interface ReplayHooks {
  /** "May this user do this here?" Return false to refuse with FORBIDDEN. */
  authorize?: AuthorizeHook;
  /** Posts shared clips into your chat (channel or DM); without it sharing answers DISABLED. */
  clipSharer?: ClipSharer;
  /** Keeps your own file records in step with clips (created after a save, deleted after a delete). */
  clipFileRecords?: ClipFileRecords;
  /** Maps a LiveKit participant to your user, for server-driven starts (used by the Nest package). */
  resolveParticipant?: ResolveParticipantHook;
  /**
   * URIs of the preview playlist, its segments and timeline thumbnails, e.g.
   * `({ sessionId, name, kind }) => \`/api/replay/preview/${kind}s/${name}?sessionId=${sessionId}\``.
   * Default: relative names (segments beside the playlist, thumbnails under `thumbnails/`).
   */
  previewUrl?: PreviewUrlBuilder;
}

export interface ReplayBufferManagerOptions {
  /** `parseReplayConfig` input (or its output); every duration in seconds. */
  config: ReplayConfig | ReplayConfigInput;
  stores?: ReplayStores;
  coordination?: ReplayCoordination;
  /** Default: ffmpeg (`config.ffmpegPath`, then FFMPEG_PATH, then PATH). */
  media?: MediaPipeline;
  /** Default: a LocalClipStorage in `config.clipsDir`. */
  storage?: ClipStorage;
  /**
   * Where the egress's segments are read from. Default: the local directory `config.segmentsDir`
   * (`LocalSegmentSourceFactory`). For a bucket (LiveKit Cloud), `S3SegmentSourceFactory` from
   * @livekit-replay/storage-s3, with the egress uploading under the same key prefix.
   */
  segments?: SegmentSourceFactory;
  /** Default: livekit-server-sdk's EgressClient with `config.livekit`. */
  egress?: EgressGateway;
  hooks?: ReplayHooks;
}
