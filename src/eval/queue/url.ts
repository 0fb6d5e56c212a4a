import * as z from 'zod';
import { errors } from '../../errors.js';

/** The default executor: a Piscina pool of threads in this process. Anything else is the URL of a Redis. */
export const LOCAL_EXECUTOR = 'threads';

const EXPECTED_URL = 'a redis:// or rediss:// URL such as redis://host:6379';

/** A Redis to connect to. The URL may carry a password: print `display`, never `url`. */
export interface RedisTarget {
  readonly url: string;
  /** The URL with its user info masked. */
  readonly display: string;
  /** The password in the URL, as written and decoded, to scrub from error messages; empty when there is none. */
  readonly secrets: readonly string[];
}

/**
 * Masks everything between the scheme and the last "@" (the user info), keeping a user name before ":".
 * Works on strings that are not valid URLs too, because those end up in error messages.
 */
export function redactUrl(raw: string): string {
  return raw.replace(/^([a-z][a-z0-9+.-]*:\/\/)?(.*)@/is, (_m, scheme: string | undefined, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return `${scheme ?? ''}${colon > 0 ? `${userinfo.slice(0, colon)}:***` : '***'}@`;
  });
}

function urlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return EXPECTED_URL;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return EXPECTED_URL;
  if (url.hostname === '') return `${EXPECTED_URL} (with a host)`;
  if (!/^\/?\d*$/.test(url.pathname)) return 'a database number after the host, such as redis://host:6379/0';
  return undefined;
}

/** Validates a Redis URL given as `field`; the message shows the URL with its password masked. */
export function redisTarget(raw: string, field: string): RedisTarget {
  const problem = urlProblem(raw);
  if (problem !== undefined) throw errors.option(field, problem, redactUrl(raw));
  const password = new URL(raw).password;
  return { url: raw, display: redactUrl(raw), secrets: [...new Set([password, safeDecode(password)])].filter((s) => s !== '') };
}

/** The URL without its password (a user name stays): what a run folder may record. Other strings are returned as they are. */
export function withoutPassword(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password === '' || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) return raw;
    url.password = '';
    return url.href;
  } catch {
    return raw;
  }
}

/**
 * The URL with its password replaced by *** and nothing else changed (`redis://:***@host`), for a command the user
 * completes by putting the password back: redactUrl's shorter `redis://***@host` would then name a user, not a password.
 */
export function passwordPlaceholder(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password === '') return raw;
    url.password = '***';
    return url.href;
  } catch {
    return raw;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `text` with the target's password replaced by ***, for messages that may echo what was sent. */
export const scrub = (target: RedisTarget, text: string): string => target.secrets.reduce((t, s) => t.split(s).join('***'), text);

/** The `executor` search option: "threads", or the URL of the Redis that `evotune worker`s serve. */
export const executorOption = z.string({ error: `expected "${LOCAL_EXECUTOR}" or ${EXPECTED_URL}` }).superRefine((value, ctx) => {
  if (value === LOCAL_EXECUTOR) return;
  const problem = urlProblem(value);
  // The input goes into the error message: mask it, as the URL may carry a password.
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `expected "${LOCAL_EXECUTOR}" or ${problem}`, input: redactUrl(value) });
});
