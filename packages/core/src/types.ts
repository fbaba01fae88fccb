/** Domain records shared by the manager, the ports and every adapter. */

/** Lifecycle of a replay buffer session. `stopped` and `failed` are terminal (see SessionStore). */
export type SessionStatus = 'starting' | 'active' | 'stopped' | 'failed';

export const LIVE_SESSION_STATUSES: readonly SessionStatus[] = ['starting', 'active'];

/** Named presets, or `source` to size the encode to the shared screen. */
export type QualityPreset = '720p' | '1080p' | '1440p' | 'source';

export interface SourceDimensions {
  width: number;
  height: number;
}

/** How LiveKit names segment files: `prefix_00000.ts` or `prefix_YYYYMMDDhhmmssmmm.ts`. */
export type SegmentNaming = 'INDEX' | 'TIMESTAMP';

export interface ReplaySession {
  id: string;
  userId: string;
  roomName: string;
  videoTrackId: string;
  audioTrackId: string | null;
  communityId: string | null;
  channelId: string | null;
  quality: QualityPreset;
  /** LiveKit's egress id; null until StartTrackCompositeEgress answered. */
  egressId: string | null;
  status: SessionStatus;
  /** Directory name (under the segments root) the egress writes into: always the session id. */
  segmentDir: string;
  /** Segment file prefix and playlist names handed to LiveKit. */
  filenamePrefix: string;
  playlistName: string;
  livePlaylistName: string;
  segmentNaming: SegmentNaming;
  segmentDurationSeconds: number;
  createdAt: Date;
  updatedAt: Date;
  /** When LiveKit reported the egress active. */
  startedAt: Date | null;
  /** When the session reached a terminal status. */
  endedAt: Date | null;
  /** Why it ended: `user`, `webhook`, `orphaned`, `reconciled`, `replaced`, … */
  endReason: string | null;
  /** LiveKit's error text for failed egresses. */
  error: string | null;
  /** Consecutive reconciliation passes that did not see the egress in ListEgress. */
  missedSightings: number;
}

/** What a store needs to create a session; the store fills timestamps and counters. */
export type NewSession = Omit<
  ReplaySession,
  'createdAt' | 'updatedAt' | 'startedAt' | 'endedAt' | 'endReason' | 'error' | 'missedSightings' | 'status'
> & { status?: 'starting' };

/** Fields a transition may change besides the status. */
export type SessionPatch = Partial<
  Pick<ReplaySession, 'egressId' | 'startedAt' | 'endedAt' | 'endReason' | 'error' | 'missedSightings'>
>;

export type ClipVisibility = 'private' | 'public';

export interface ClipRecord {
  id: string;
  ownerId: string;
  sessionId: string;
  communityId: string | null;
  roomName: string;
  channelId: string | null;
  /** Requested range, wall clock. */
  requestedStart: Date;
  requestedEnd: Date;
  /** Range actually covered by the clip, wall clock. */
  actualStart: Date;
  actualEnd: Date;
  /** Probed duration in seconds (fractional). */
  durationSeconds: number;
  sizeBytes: number;
  sha256: string;
  mimeType: string;
  width: number;
  height: number;
  visibility: ClipVisibility;
  storageKey: string;
  posterKey: string | null;
  title: string | null;
  /** Facts about the capture: clamping, gaps, cut mode. */
  metadata: ClipMetadata;
  createdAt: Date;
}

export interface ClipMetadata {
  /** True when the requested start was older than the buffer and was moved forward. */
  clampedStart: boolean;
  /** True when the requested end ran past the newest available moment. */
  clampedEnd: boolean;
  /** Why the end was clamped: `live_edge_timeout`, `buffer_ended` or `gap` (null when it was not). */
  clampReason?: string | null;
  /** Missing stretches inside the clip (wall clock). */
  gaps: Array<{ start: string; durationSeconds: number }>;
  cutMode: 'accurate' | 'fast';
  segmentCount: number;
}

/** A LiveKit egress as the gateway reports it. */
export type EgressState =
  | 'starting'
  | 'active'
  | 'ending'
  | 'complete'
  | 'failed'
  | 'aborted'
  | 'limit_reached';

export interface EgressSnapshot {
  egressId: string;
  roomName: string;
  state: EgressState;
  error: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
}
