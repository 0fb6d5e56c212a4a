/**
 * The roster of studies and workers in a Redis: an id set plus one JSON value per id with a TTL. Owners refresh
 * their entry every HEARTBEAT_MS; a study or worker that dies without cleaning up drops out after ENTRY_TTL_MS
 * (readers remove ids whose value expired). Entries are validated on read: another process wrote them.
 */
import type { Redis } from 'ioredis';
import type * as z from 'zod';
import { PREFIX, STUDY_ID, studyEntrySchema, workerEntrySchema, type OpenStudy, type StudyEntry, type WorkerEntry } from './protocol.js';

export const HEARTBEAT_MS = 2_000;
export const ENTRY_TTL_MS = 5 * HEARTBEAT_MS;
/** How long an ended study's tombstone stays, so that its workers learn it ended rather than vanished. */
const ENDED_TTL_MS = 60_000;

type Kind = 'study' | 'worker';
const setKey = (kind: Kind) => `${PREFIX}:${kind === 'study' ? 'studies' : 'workers'}`;
const entryKey = (kind: Kind, id: string) => `${PREFIX}:${kind}:${id}`;

async function put(redis: Redis, kind: Kind, id: string, value: unknown, ttlMs: number): Promise<void> {
  await redis.multi().set(entryKey(kind, id), JSON.stringify(value), 'PX', ttlMs).sadd(setKey(kind), id).exec();
}

/** An entry a reader could not use: its id (as stored, possibly hostile) and why. */
export type Unusable = (id: string, reason: string) => void;

async function readAll<T>(
  redis: Redis,
  kind: Kind,
  schema: z.ZodType<T>,
  validId: (id: string) => boolean,
  onUnusable?: Unusable,
): Promise<Map<string, T>> {
  const ids = await redis.smembers(setKey(kind));
  const out = new Map<string, T>();
  if (ids.length === 0) return out;
  const values = await redis.mget(ids.map((id) => entryKey(kind, id)));
  const expired: string[] = [];
  ids.forEach((id, i) => {
    const raw = values[i];
    if (raw === null || raw === undefined) return void expired.push(id);
    if (!validId(id)) return onUnusable?.(id, `its id is not one evotune writes`);
    const parsed = schema.safeParse(parseJson(raw));
    if (parsed.success) out.set(id, parsed.data);
    else
      onUnusable?.(
        id,
        `not a valid ${kind} entry (${parsed.error.issues[0]?.path.join('.') || 'value'}: ${parsed.error.issues[0]?.message ?? 'invalid'})`,
      );
  });
  if (expired.length > 0) await redis.srem(setKey(kind), ...expired);
  return out;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export const announceStudy = (redis: Redis, id: string, entry: OpenStudy) => put(redis, 'study', id, entry, ENTRY_TTL_MS);
export const endStudy = (redis: Redis, id: string) => put(redis, 'study', id, { state: 'ended' } satisfies StudyEntry, ENDED_TTL_MS);
export const readStudies = (redis: Redis, onUnusable?: Unusable) => readAll(redis, 'study', studyEntrySchema, (id) => STUDY_ID.test(id), onUnusable);

export const announceWorker = (redis: Redis, id: string, entry: WorkerEntry) => put(redis, 'worker', id, entry, ENTRY_TTL_MS);
export async function withdrawWorker(redis: Redis, id: string): Promise<void> {
  await redis.multi().del(entryKey('worker', id)).srem(setKey('worker'), id).exec();
}
export const readWorkers = (redis: Redis) => readAll(redis, 'worker', workerEntrySchema, (id) => id.length <= 300);
