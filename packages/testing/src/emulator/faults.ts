import { seededRandom } from './util.js';

/** What to do with one webhook delivery. */
export interface WebhookFaultAction {
  /** Never send it. */
  drop?: boolean;
  /** Send it twice (same body, same event id), as LiveKit's at-least-once delivery can. */
  duplicate?: boolean;
  /** Wait this long before sending. */
  delayMs?: number;
  /** Hold it back and send it right after the next event (swaps their order). */
  reorder?: boolean;
}

/** Probabilistic webhook faults; every probability is 0…1. Reproducible with `seed`. */
export interface WebhookFaultRates {
  drop?: number;
  duplicate?: number;
  reorder?: number;
  /** Probability of a delay, and the delay range in ms. */
  delay?: number;
  delayMs?: [number, number];
  seed?: number;
}

export interface WebhookEventSummary {
  event: string;
  egressId: string;
  status: string;
}

/**
 * Runtime-changeable fault knobs. Every knob is off by default; tests turn them on and off
 * while an emulator is running.
 */
export class EmulatorFaults {
  private refuse: { remaining: number; msg: string } | undefined;
  private readonly hidden = new Map<string, number>();
  private readonly lag = new Map<string, number>();
  private defaultLag = 0;
  private rates: Required<Omit<WebhookFaultRates, 'seed'>> | undefined;
  private random: () => number = Math.random;
  private readonly scripted: Array<{
    match: (e: WebhookEventSummary) => boolean;
    action: WebhookFaultAction;
    remaining: number;
  }> = [];

  /** @internal hooks into the emulator for faults that act on a running egress. */
  constructor(
    private readonly egressControl: {
      fail(egressId: string, error: string): Promise<void>;
      limitReached(egressId: string): Promise<void>;
      forget(egressId: string): Promise<void>;
      stall(egressId: string): void;
      resume(egressId: string): void;
    },
  ) {}

  /**
   * Start requests fail with HTTP 503 / Twirp `unavailable`, like an egress fleet with no
   * instance under its CPU limit. `times` (default: until `acceptStarts()`).
   */
  refuseStarts(options: { times?: number; message?: string } = {}): void {
    this.refuse = {
      remaining: options.times ?? Number.POSITIVE_INFINITY,
      msg: options.message ?? 'no response from servers',
    };
  }

  acceptStarts(): void {
    this.refuse = undefined;
  }

  /** @internal consumes one refusal, returning its message, or undefined to accept. */
  takeStartRefusal(): string | undefined {
    if (!this.refuse || this.refuse.remaining <= 0) return undefined;
    this.refuse.remaining--;
    const { msg } = this.refuse;
    if (this.refuse.remaining <= 0) this.refuse = undefined;
    return msg;
  }

  /** Fails a running egress: ffmpeg dies, `egress_ended` FAILED with `error`. */
  failEgress(egressId: string, error = 'pipeline failed: encoder error'): Promise<void> {
    return this.egressControl.fail(egressId, error);
  }

  /**
   * Ends an egress the way LiveKit does when it hits its duration limit: ENDING, the segment in
   * progress is finished, ENDLIST, then `egress_ended` with `EGRESS_LIMIT_REACHED`. Resolves at the end.
   */
  limitReached(egressId: string): Promise<void> {
    return this.egressControl.limitReached(egressId);
  }

  /**
   * The egress service loses the egress entirely (host crash / restart): ffmpeg is killed, the
   * playlists stay as they were (no ENDLIST), no webhook is sent, and from now on ListEgress
   * omits it and StopEgress answers `not_found` "egress does not exist".
   */
  forgetEgress(egressId: string): Promise<void> {
    return this.egressControl.forget(egressId);
  }

  /** Stops writing segments (ffmpeg is paused); the egress stays ACTIVE in ListEgress. */
  stallEgress(egressId: string): void {
    this.egressControl.stall(egressId);
  }

  /** Ends a stall; the paused time is then encoded quickly to catch up with the clock. */
  resumeEgress(egressId: string): void {
    this.egressControl.resume(egressId);
  }

  /** The next `times` ListEgress answers omit this egress (restart / transient miss). */
  hideFromList(egressId: string, times = 1): void {
    this.hidden.set(egressId, times);
  }

  /** @internal true when ListEgress must omit the egress this time (consumes one). */
  takeHidden(egressId: string): boolean {
    const left = this.hidden.get(egressId) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.hidden.delete(egressId);
    else this.hidden.set(egressId, left - 1);
    return true;
  }

  /**
   * The main playlist leaves out the newest `segments` finished segments (files are on disk,
   * the playlist lags), for one egress or, without an id, for all. The final playlist at stop
   * lists everything.
   */
  setPlaylistLag(segments: number, egressId?: string): void {
    if (egressId) this.lag.set(egressId, segments);
    else this.defaultLag = segments;
  }

  /** @internal */
  playlistLag(egressId: string): number {
    return this.lag.get(egressId) ?? this.defaultLag;
  }

  /** Random webhook faults with a seed (or none with `undefined`). */
  setWebhookFaults(rates: WebhookFaultRates | undefined): void {
    if (!rates) {
      this.rates = undefined;
      return;
    }
    this.rates = {
      drop: rates.drop ?? 0,
      duplicate: rates.duplicate ?? 0,
      reorder: rates.reorder ?? 0,
      delay: rates.delay ?? 0,
      delayMs: rates.delayMs ?? [100, 1000],
    };
    this.random = rates.seed === undefined ? Math.random : seededRandom(rates.seed);
  }

  /**
   * Applies `action` to the next `times` (default 1) webhooks matching `match`
   * (e.g. `{ event: 'egress_ended' }` or `{ egressId }`). Scripted actions win over rates.
   */
  onWebhook(
    match: Partial<WebhookEventSummary> | ((e: WebhookEventSummary) => boolean),
    action: WebhookFaultAction,
    times = 1,
  ): void {
    const predicate =
      typeof match === 'function'
        ? match
        : (e: WebhookEventSummary) =>
            (match.event === undefined || match.event === e.event) &&
            (match.egressId === undefined || match.egressId === e.egressId) &&
            (match.status === undefined || match.status === e.status);
    this.scripted.push({ match: predicate, action, remaining: times });
  }

  /** Turns every knob off (does not resume stalled egresses). */
  reset(): void {
    this.refuse = undefined;
    this.hidden.clear();
    this.lag.clear();
    this.defaultLag = 0;
    this.rates = undefined;
    this.scripted.length = 0;
  }

  /** @internal decides the fate of one webhook. */
  webhookAction(e: WebhookEventSummary): WebhookFaultAction {
    const i = this.scripted.findIndex((s) => s.match(e));
    const scripted = this.scripted[i];
    if (scripted) {
      scripted.remaining--;
      if (scripted.remaining <= 0) this.scripted.splice(i, 1);
      return scripted.action;
    }
    const r = this.rates;
    if (!r) return {};
    const action: WebhookFaultAction = {};
    if (this.random() < r.drop) action.drop = true;
    if (this.random() < r.duplicate) action.duplicate = true;
    if (this.random() < r.reorder) action.reorder = true;
    if (this.random() < r.delay) {
      const [min, max] = r.delayMs;
      action.delayMs = min + this.random() * (max - min);
    }
    return action;
  }
}
