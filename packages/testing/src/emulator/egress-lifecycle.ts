import { type EgressInfo, EgressStatus } from '@livekit/protocol';
import { ACTIVE_STATUSES, type EgressRecord, refreshResults } from './egress-record.js';
import { nsFromMs } from './util.js';
import type { EgressWebhookName, WebhookSender } from './webhooks.js';

export interface EgressLifecycleOptions {
  webhooks: WebhookSender;
  /** Once closed, egresses that end send no `egress_ended`. */
  isClosed: () => boolean;
  onLog?: (message: string) => void;
}

/**
 * The egresses the emulator knows and their status transitions
 * (STARTING → ACTIVE → ENDING → COMPLETE / FAILED / LIMIT_REACHED / ABORTED), each with its webhook.
 */
export class EgressLifecycle {
  readonly records = new Map<string, EgressRecord>();

  constructor(private readonly options: EgressLifecycleOptions) {}

  require(egressId: string): EgressRecord {
    const r = this.records.get(egressId);
    if (!r) throw new Error(`unknown egress ${egressId}`);
    return r;
  }

  /** A segment was written (or, for S3, uploaded): the first one makes the egress ACTIVE. */
  onSegment(r: EgressRecord): void {
    refreshResults(r);
    if (r.info.status === EgressStatus.EGRESS_STARTING) {
      r.info.startedAt = nsFromMs(r.originMs);
      this.setStatus(r, EgressStatus.EGRESS_ACTIVE);
      this.log(`${r.info.egressId} active (first segment written)`);
      this.emit('egress_updated', r);
    }
    for (const w of [...r.waiters]) w();
  }

  /**
   * ENDING now (answered to StopEgress, `egress_updated`), then ffmpeg finishes the segment in
   * progress, playlists get ENDLIST, and the egress ends with `status` (`egress_ended`).
   */
  endGracefully(r: EgressRecord, status: EgressStatus, error?: string): EgressInfo {
    this.setStatus(r, EgressStatus.EGRESS_ENDING);
    this.log(`${r.info.egressId} stopping`);
    const snapshot = r.info.clone();
    this.emit('egress_updated', r);
    void (async () => {
      try {
        await r.process.stop();
        await r.uploader?.finish(r.info);
        this.finishRecord(r, status, error);
      } catch (err) {
        this.finishRecord(
          r,
          EgressStatus.EGRESS_FAILED,
          `could not finish the egress: ${(err as Error).message}`,
        );
      }
    })();
    return snapshot;
  }

  async limitReached(egressId: string): Promise<void> {
    const r = this.require(egressId);
    if (r.info.status !== EgressStatus.EGRESS_STARTING && r.info.status !== EgressStatus.EGRESS_ACTIVE)
      return;
    this.endGracefully(r, EgressStatus.EGRESS_LIMIT_REACHED, 'egress duration limit reached');
    await r.done;
  }

  /** LiveKit lost the egress (host died, state gone): ffmpeg killed, no webhook, unknown to the API. */
  async forget(egressId: string): Promise<void> {
    const r = this.require(egressId);
    this.records.delete(egressId);
    this.log(`${egressId} forgotten (simulated egress host loss)`);
    await r.process.dispose();
    r.uploader?.dispose();
    if (ACTIVE_STATUSES.has(r.info.status)) r.info.status = EgressStatus.EGRESS_ABORTED;
    r.settle();
    for (const w of [...r.waiters]) w();
  }

  async fail(egressId: string, error: string): Promise<void> {
    const r = this.require(egressId);
    if (!ACTIVE_STATUSES.has(r.info.status)) return;
    r.info.error = error;
    this.setStatus(r, EgressStatus.EGRESS_FAILED);
    try {
      await r.process.fail();
      await r.uploader?.finish(r.info).catch(() => {});
    } finally {
      this.finishRecord(r, EgressStatus.EGRESS_FAILED, error);
    }
  }

  emit(event: EgressWebhookName, r: EgressRecord): void {
    this.options.webhooks.emit(event, r.info);
  }

  log(message: string): void {
    this.options.onLog?.(message);
  }

  private finishRecord(r: EgressRecord, status: EgressStatus, error?: string): void {
    if (r.info.endedAt !== 0n) return;
    const now = Date.now();
    if (error) r.info.error = error;
    refreshResults(r);
    r.info.endedAt = nsFromMs(now);
    this.setStatus(r, status);
    this.log(
      `${r.info.egressId} ended: ${EgressStatus[status]}, ${r.process.segments.length} segments` +
        (error ? ` (${error})` : ''),
    );
    if (!this.options.isClosed()) this.emit('egress_ended', r);
    r.settle();
    for (const w of [...r.waiters]) w();
  }

  private setStatus(r: EgressRecord, status: EgressStatus): void {
    r.info.status = status;
    r.info.updatedAt = nsFromMs(Date.now());
  }
}
