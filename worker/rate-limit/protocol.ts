import type { BucketPolicy, LeaseReport } from './bucket';

/**
 * The wire contract between worker isolates and the RateLimiter objects
 * (durable-objects/rate-limiter.ts). Both sides import it from here.
 */

/**
 * What a worker isolate asks for: up to `want` tokens of the named bucket, valid for `leaseMs`,
 * with how much of its earlier leases it has left unspent.
 */
export interface LeaseRequest {
  /** `<partition key>|<class>`, e.g. `user:alice|read`: one bucket per principal and class. */
  bucket: string;
  policy: BucketPolicy;
  want: number;
  leaseMs: number;
  reports: LeaseReport[];
}
