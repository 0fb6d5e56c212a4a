import { Redis } from 'ioredis';
import { describe } from '../../errors.js';
import { scrub, type RedisTarget } from './url.js';

/** Reconnect delay: 0.25 s doubling up to 5 s, forever. Commands wait in ioredis' offline queue meanwhile. */
export const backoffMs = (attempt: number) => Math.min(5_000, 250 * 2 ** Math.min(attempt - 1, 5));

/**
 * A connection that never gives up on a command (BullMQ requires maxRetriesPerRequest: null): while Redis is
 * unreachable, commands wait and are sent once it is back, so a finished trial is delivered late, never lost.
 * BullMQ duplicates it for its blocking connections, with the same options.
 */
export function connectRedis(target: RedisTarget, name: string): Redis {
  return new Redis(target.url, { maxRetriesPerRequest: null, retryStrategy: backoffMs, connectionName: name });
}

/** Redis refused the credentials: retrying cannot help. */
export const isAuthError = (e: unknown) => /\b(WRONGPASS|NOAUTH|NOPERM)\b/.test(describe(e));

const CONNECTION_ERROR = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b|Connection is closed/;
/** An error that only says the connection is down (reported once per outage by watchConnection). */
export const isConnectionError = (e: unknown) => CONNECTION_ERROR.test(describe(e));

export interface ConnectionWatch {
  /** The last connection error while Redis is unreachable; undefined while connected. */
  readonly down: () => string | undefined;
}

/**
 * Reports each outage once (not every retry) and the reconnection after it, with the password scrubbed;
 * `onReady` runs after every (re)connection, `onAuthError` when Redis refuses the credentials.
 */
export function watchConnection(
  redis: Redis,
  target: RedisTarget,
  hooks: { report: (line: string) => void; onReady?: () => void; onAuthError: (message: string) => void },
): ConnectionWatch {
  let down: string | undefined;
  redis.on('error', (e: unknown) => {
    const message = scrub(target, describe(e));
    if (isAuthError(e)) return hooks.onAuthError(message);
    if (down === undefined) hooks.report(`cannot reach ${target.display}: ${message}; retrying with backoff`);
    down = message;
  });
  redis.on('ready', () => {
    if (down !== undefined) hooks.report(`reconnected to ${target.display}`);
    down = undefined;
    hooks.onReady?.();
  });
  return { down: () => down };
}
