import { Redis } from 'ioredis';
import { describe } from '../../errors.js';
import { scrub, type RedisTarget } from './url.js';

/** Reconnect delay: 0.25 s doubling up to 5 s, forever. Commands wait in ioredis' offline queue meanwhile. */
const backoffMs = (attempt: number) => Math.min(5_000, 250 * 2 ** Math.min(attempt - 1, 5));

/**
 * A connection that never gives up on a command (BullMQ requires maxRetriesPerRequest: null): while Redis is
 * unreachable, commands wait and are sent once it is back, so a finished trial is delivered late, never lost.
 * It reconnects until `keepTrying()` turns false: BullMQ duplicates it, with these options, for connections it
 * closes only once they were ready, so ending the retries is what lets a closing process exit while Redis is down.
 */
export function connectRedis(target: RedisTarget, name: string, keepTrying: () => boolean): Redis {
  return new Redis(target.url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => (keepTrying() ? backoffMs(attempt) : null),
    connectionName: name,
  });
}

/** Redis refused the credentials: retrying cannot help. */
const isAuthError = (e: unknown) => /\b(WRONGPASS|NOAUTH|NOPERM)\b/.test(describe(e));

const CONNECTION_ERROR = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b|Connection is closed/;
/** An error that only says the connection is down (reported once per outage by watchConnection). */
export const isConnectionError = (e: unknown) => CONNECTION_ERROR.test(describe(e));

export interface ConnectionWatch {
  /** Why Redis is unreachable, while it is; undefined while connected. */
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
  let lastError: string | undefined;
  let down = false;
  const why = () => lastError ?? 'the connection closed';
  redis.on('error', (e: unknown) => {
    const message = scrub(target, describe(e));
    if (isAuthError(e)) return hooks.onAuthError(message);
    lastError = message;
  });
  // A server that closes the connection (a restart) raises no error: 'reconnecting' is what every outage shares.
  redis.on('reconnecting', () => {
    if (!down) hooks.report(`cannot reach ${target.display}: ${why()}; retrying with backoff`);
    down = true;
  });
  redis.on('ready', () => {
    if (down) hooks.report(`reconnected to ${target.display}`);
    down = false;
    lastError = undefined;
    hooks.onReady?.();
  });
  return { down: () => (down ? why() : undefined) };
}
