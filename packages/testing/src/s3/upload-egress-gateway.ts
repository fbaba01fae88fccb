import { SegmentedFileOutput, SegmentedFileSuffix } from '@livekit/protocol';
import { type EgressGateway, LiveKitEgressGateway } from '@livekit-replay/core';
import {
  type EgressSnapshot,
  encodingOptionsFor,
  type LiveKitEgressGatewayOptions,
  type StartSegmentedEgressRequest,
  toEgressSnapshot,
} from '@livekit-replay/core/adapter';
import { EgressClient } from 'livekit-server-sdk';

/**
 * A test EgressGateway whose starts upload to a bucket: the real livekit-server-sdk starts the
 * same Track Composite request as `LiveKitEgressGateway`, with the segmented output passed
 * through `withUpload` (e.g. storage-s3's `withS3Upload`); everything else is the real gateway.
 * For tests of object-storage segments until the gateway takes an upload config itself.
 */
export class UploadingEgressGateway implements EgressGateway {
  private readonly gateway: LiveKitEgressGateway;
  private readonly client: EgressClient;

  constructor(
    options: LiveKitEgressGatewayOptions,
    private readonly withUpload: (output: SegmentedFileOutput) => SegmentedFileOutput,
  ) {
    this.gateway = new LiveKitEgressGateway(options);
    this.client = new EgressClient(options.url, options.apiKey, options.apiSecret);
  }

  async startSegmentedEgress(request: StartSegmentedEgressRequest): Promise<EgressSnapshot> {
    const output = new SegmentedFileOutput({
      filenamePrefix: request.filenamePrefix,
      playlistName: request.playlistName,
      livePlaylistName: request.livePlaylistName,
      segmentDuration: request.segmentDurationSeconds,
      filenameSuffix:
        request.segmentNaming === 'TIMESTAMP' ? SegmentedFileSuffix.TIMESTAMP : SegmentedFileSuffix.INDEX,
    });
    const info = await this.client.startTrackCompositeEgress(request.roomName, this.withUpload(output), {
      videoTrackId: request.videoTrackId,
      ...(request.audioTrackId ? { audioTrackId: request.audioTrackId } : {}),
      encodingOptions: encodingOptionsFor(
        request.quality,
        request.segmentDurationSeconds,
        request.sourceDimensions,
      ),
    });
    return toEgressSnapshot(info);
  }

  stopEgress(egressId: string): Promise<EgressSnapshot | null> {
    return this.gateway.stopEgress(egressId);
  }

  listActiveEgress(roomName?: string): Promise<EgressSnapshot[]> {
    return this.gateway.listActiveEgress(roomName);
  }

  getEgress(egressId: string): Promise<EgressSnapshot | null> {
    return this.gateway.getEgress(egressId);
  }
}
