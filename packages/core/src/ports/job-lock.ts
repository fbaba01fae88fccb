export interface JobLease {
  /** Extends the lease; false when it was lost (expired and taken by someone else). */
  renew(ttlMs: number): Promise<boolean>;
  /** Releases the lease if this holder still owns it. */
  release(): Promise<void>;
}

/** Makes a maintenance tick run once across all instances. */
export interface JobLock {
  /** Takes the named lease for `ttlMs`, or returns null when another holder has it. */
  acquire(name: string, ttlMs: number): Promise<JobLease | null>;
}
