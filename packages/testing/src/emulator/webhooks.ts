import { type EgressInfo, EgressStatus, WebhookEvent } from '@livekit/protocol';
import { signWebhook } from './auth.js';
import type { EmulatorFaults, WebhookFaultAction } from './faults.js';
import { livekitId, sleep } from './util.js';

export type EgressWebhookName = 'egress_started' | 'egress_updated' | 'egress_ended';

/** One webhook the emulator produced, and what happened to it. */
export interface WebhookLogEntry {
  /** The event's unique `id` (duplicates share it, like LiveKit's redeliveries). */
  id: string;
  event: EgressWebhookName;
  egressId: string;
  /** `EgressStatus` name, e.g. `EGRESS_ACTIVE`. */
  status: string;
  /** `createdAt` of the event, unix seconds. */
  createdAt: number;
  /** Exactly the POSTed body and `Authorization` header. */
  body: string;
  authorization: string;
  /** `dropped` by a fault, `sent` (any HTTP answer), `failed` (target unreachable/timeout), `no-url`. */
  outcome: 'pending' | 'sent' | 'dropped' | 'failed' | 'no-url';
  httpStatus?: number;
  error?: string;
  /** Fault decisions applied to this delivery. */
  fault: WebhookFaultAction;
  /** True for the second copy of a duplicated event. */
  duplicateCopy?: boolean;
  sentAt?: number;
}

/**
 * Sends LiveKit-signed egress webhooks. Deliveries without faults go out one at a time in event
 * order; faults (drop, duplicate, delay, reorder) are decided per event by `EmulatorFaults`.
 * Delivery errors are logged, never thrown.
 */
export class WebhookSender {
  readonly log: WebhookLogEntry[] = [];
  private queue: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  private held: { release: () => void; timer: NodeJS.Timeout } | undefined;
  private closed = false;

  constructor(
    private readonly options: {
      apiKey: string;
      apiSecret: string;
      url: () => string | undefined;
      faults: EmulatorFaults;
      timeoutMs?: number;
      /** How long a reordered event waits for a successor before it is sent anyway. */
      holdMs?: number;
    },
  ) {}

  /**
   * Builds, signs and schedules one event for `info` (a snapshot is taken now). The log entry
   * exists as soon as this returns, so `flush()` right after always covers it.
   */
  emit(event: EgressWebhookName, info: EgressInfo): WebhookLogEntry {
    const created = Date.now();
    const webhook = new WebhookEvent({
      event,
      egressInfo: info.clone(),
      id: livekitId('EV_'),
      createdAt: BigInt(Math.floor(created / 1000)),
    });
    const body = webhook.toJsonString();
    const status = EgressStatus[info.status] ?? String(info.status);
    const fault = this.options.faults.webhookAction({ event, egressId: info.egressId, status });
    const entry: WebhookLogEntry = {
      id: webhook.id,
      event,
      egressId: info.egressId,
      status,
      createdAt: Math.floor(created / 1000),
      body,
      authorization: '',
      outcome: 'pending',
      fault,
    };
    this.log.push(entry);
    if (fault.drop || this.closed) {
      entry.outcome = 'dropped';
      return entry;
    }
    const copies = [entry];
    if (fault.duplicate) {
      const copy: WebhookLogEntry = { ...entry, duplicateCopy: true, outcome: 'pending' };
      this.log.push(copy);
      copies.push(copy);
    }
    const signed = signWebhook(body, this.options.apiKey, this.options.apiSecret).then((authorization) => {
      for (const copy of copies) copy.authorization = authorization;
    });
    this.track(signed);
    const dispatch = () => {
      for (const copy of copies) {
        if (fault.delayMs && fault.delayMs > 0) {
          const delay = fault.delayMs;
          this.track(Promise.all([signed, sleep(delay)]).then(() => this.post(copy)));
        } else {
          this.queue = this.queue.then(() => signed).then(() => this.post(copy));
          this.track(this.queue);
        }
      }
    };
    const previouslyHeld = this.held;
    this.held = undefined;
    if (fault.reorder) {
      // Held until the next event has been queued (or `holdMs` passes, or a flush).
      const timer = setTimeout(() => {
        if (this.held?.timer === timer) this.held = undefined;
        dispatch();
      }, this.options.holdMs ?? 10_000);
      this.held = { release: dispatch, timer };
    } else {
      dispatch();
    }
    if (previouslyHeld) {
      clearTimeout(previouslyHeld.timer);
      previouslyHeld.release();
    }
    return entry;
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch(() => {});
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private async post(entry: WebhookLogEntry): Promise<void> {
    const url = this.options.url();
    if (!url) {
      entry.outcome = 'no-url';
      return;
    }
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/webhook+json', Authorization: entry.authorization },
        body: entry.body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      await res.arrayBuffer().catch(() => undefined);
      entry.outcome = 'sent';
      entry.httpStatus = res.status;
    } catch (err) {
      entry.outcome = 'failed';
      entry.error = (err as Error).message;
    }
    entry.sentAt = Date.now();
  }

  /** Resolves when every scheduled delivery (including delayed and held ones) is done. */
  async flush(): Promise<void> {
    if (this.held) {
      clearTimeout(this.held.timer);
      const { release } = this.held;
      this.held = undefined;
      release();
    }
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}
