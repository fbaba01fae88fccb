import type { EgressSnapshot, QualityPreset, SegmentNaming, SourceDimensions } from '../types.js';

export interface StartSegmentedEgressRequest {
  roomName: string;
  videoTrackId: string;
  audioTrackId: string | null;
  quality: QualityPreset;
  /** Needed for the `source` preset. */
  sourceDimensions?: SourceDimensions;
  /** Path prefix as LiveKit's egress sees it: `<segmentsRoot>/<sessionId>/<prefix>`. */
  filenamePrefix: string;
  playlistName: string;
  livePlaylistName: string;
  segmentDurationSeconds: number;
  segmentNaming: SegmentNaming;
}

/**
 * LiveKit egress operations the manager needs. The production implementation wraps
 * livekit-server-sdk's EgressClient; errors come back as ReplayBufferError
 * (`EGRESS_UNAVAILABLE` for capacity and connectivity problems).
 */
export interface EgressGateway {
  startSegmentedEgress(request: StartSegmentedEgressRequest): Promise<EgressSnapshot>;
  /** Stops the egress. Resolves (with null) when LiveKit no longer knows it or it already ended. */
  stopEgress(egressId: string): Promise<EgressSnapshot | null>;
  /** Egresses LiveKit reports as live (starting/active), optionally for one room. */
  listActiveEgress(roomName?: string): Promise<EgressSnapshot[]>;
  /** One egress, or null when LiveKit does not know it. */
  getEgress(egressId: string): Promise<EgressSnapshot | null>;
}
