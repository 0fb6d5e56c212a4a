/**
 * `evotune dashboard`: a read-only web server over run folders. Fastify (maintained, small, typed routes, and
 * `inject()` lets the tests send the exact bytes of a hostile path without a socket). The page and the chart
 * libraries come from this package; the API gives each run's charts as the same Vega-Lite specs the report
 * writes; server-sent events tell the page when a journal grew. Only the named folders are served, and only
 * files inside them: paths are checked after decoding and after resolving symlinks.
 */
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, resolve, sep } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { errors } from '../errors.js';
import { clientFile, LIBRARIES, libraryFile, scriptText, type Library } from '../report/assets.js';
import type { ValueScale } from '../report/figures.js';
import { comparePayload, runPayload, runTitle, statusText } from '../report/payload.js';
import { pageHtml, liveFile } from './page.js';
import { RunWatcher } from './runs.js';

export interface DashboardOptions {
  readonly dirs: readonly string[];
  readonly host?: string;
  readonly port?: number;
  /** Required when the host is not a loopback address: every request must carry it (?token= once, then a cookie). */
  readonly token?: string;
  readonly pollMs?: number;
}

export interface Dashboard {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly watcher: RunWatcher;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8765;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
export const isLoopback = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** Headers on every page and script: no inline script runs (Vega compiles its expressions, hence 'unsafe-eval'). */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Files served from run folders are data, never a page: they get a sandbox that runs no script. */
const FILE_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'text/plain',
  '.csv': 'text/csv',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.html': 'text/plain',
  '.txt': 'text/plain',
};

const scaleOf = (v: unknown): ValueScale => (v === 'linear' || v === 'log' ? v : 'auto');

export function checkHost(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw errors.option(
      '--host',
      `a loopback address (127.0.0.1, localhost, ::1) unless --token is given, because anyone who can reach ${host} could read the runs`,
      host,
      'add --token <secret> (then open the printed URL, which carries it)',
    );
  }
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? '127.0.0.1';
  checkHost(host, o.token);
  const watcher = new RunWatcher(o.dirs, o.pollMs);
  const app = buildApp(watcher, host, o.token);
  await app.listen({ host, port: o.port ?? DEFAULT_PORT });
  watcher.start();
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? DEFAULT_PORT);
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  const url = `http://${shown}:${port}/${o.token ? `?token=${encodeURIComponent(o.token)}` : ''}`;
  return {
    url,
    app,
    watcher,
    close: async () => {
      watcher.stop();
      await app.close();
    },
  };
}

/** The routes, without listening: tests drive it with inject(). */
export function buildApp(watcher: RunWatcher, host: string, token?: string): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const events = new Set<FastifyReply>();
  const send = (event: string, data: unknown) => {
    for (const r of events) r.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  watcher.on('run', (id: string) => send('run', { id, version: watcher.state(id)?.version }));
  watcher.on('runs', () => send('runs', {}));
  const heartbeat = setInterval(() => {
    for (const r of events) r.raw.write(': keep-alive\n\n');
  }, 15_000);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    for (const r of events) r.raw.end();
    events.clear();
  });

  app.addHook('onRequest', async (req, reply) => {
    // A page on another site must not reach a loopback server through a name that resolves to it (DNS rebinding).
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (isLoopback(host) && !isLoopback(hostName)) return reply.code(403).type('text/plain').send('forbidden host');
    if (!token) return;
    const given = (req.query as Record<string, unknown>).token;
    const cookie = /(?:^|;\s*)evotune_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (typeof given === 'string' && sameSecret(given, token)) {
      reply.header('set-cookie', `evotune_token=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
      return;
    }
    if (cookie && sameSecret(decodeURIComponent(cookie), token)) return;
    return reply.code(401).type('text/plain').send('a token is required: open the URL the dashboard printed');
  });
  app.addHook('onSend', async (_req, reply) => {
    // A route's own, stricter policy (files from run folders) stays.
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(pageHtml()));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());

  // Laid out as in dist/src, so that live.js's import of '../report/client.js' resolves.
  const scripts: Record<string, () => string> = {
    ...Object.fromEntries((Object.keys(LIBRARIES) as Library[]).map((l) => [`lib/${l}`, () => libraryFile(l)])),
    'report/client.js': clientFile,
    'dashboard/live.js': liveFile,
  };
  app.get<{ Params: { '*': string } }>('/assets/*', async (req, reply) => {
    const file = Object.hasOwn(scripts, req.params['*']) ? scripts[req.params['*']]!() : undefined;
    if (!file) return reply.code(404).send({ error: 'no such asset' });
    return reply.type('text/javascript; charset=utf-8').send(scriptText(file));
  });

  app.get('/api/runs', async () =>
    watcher.runs().map((f) => {
      const s = watcher.state(f.id)!;
      if (!s.state.ok) return { id: f.id, name: f.name, error: s.state.error, version: s.version };
      const d = s.state.data;
      return {
        id: f.id,
        name: f.name,
        title: runTitle(d),
        status: statusText(d),
        trials: d.rows.length,
        best: d.best?.value ?? null,
        ended: d.status.ended,
        version: s.version,
      };
    }),
  );

  app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>('/api/runs/:id', async (req, reply) => {
    const s = watcher.state(req.params.id);
    if (!s) return reply.code(404).send({ error: 'no such run' });
    if (!s.state.ok) return reply.code(409).send({ error: s.state.error });
    const { cx, cy, scale } = req.query;
    return { version: s.version, ...runPayload(s.state.data, { valueScale: scaleOf(scale), ...(cx && cy ? { contour: [cx, cy] as const } : {}) }) };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/compare', async (req) => {
    const ids = (req.query.ids ?? '').split(',').filter(Boolean);
    const runs = ids.flatMap((id) => {
      const s = watcher.state(id);
      return s?.state.ok ? [{ name: watcher.find(id)!.name, data: s.state.data }] : [];
    });
    return comparePayload(runs, { valueScale: scaleOf(req.query.scale) });
  });

  app.get('/api/events', (req, reply) => {
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    reply.raw.write('retry: 1000\n\n');
    events.add(reply);
    req.raw.on('close', () => events.delete(reply));
  });

  app.get<{ Params: { id: string; '*': string } }>('/runs/:id/files/*', async (req, reply) => {
    const run = watcher.find(req.params.id);
    if (!run) return reply.code(404).send({ error: 'no such run' });
    const file = fileInRun(run.dir, req.params['*']);
    if (file === 'refused') return reply.code(403).send({ error: 'outside the run folder' });
    if (file === undefined) return reply.code(404).send({ error: 'no such file' });
    reply.header('content-security-policy', "sandbox; default-src 'none'");
    reply.header('content-disposition', 'inline');
    return reply.type(FILE_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream').send(createReadStream(file));
  });

  return app;
}

/**
 * The file a request names inside a run folder, or 'refused' when the path leaves it: `..` segments, absolute
 * paths, NUL bytes, backslashes, and symlinks whose target lies outside. `rel` is already percent-decoded
 * (once: a doubly encoded `%252e%252e` stays a harmless literal name).
 */
export function fileInRun(runDir: string, rel: string): string | 'refused' | undefined {
  if (rel.includes('\0') || rel.includes('\\') || isAbsolute(rel) || rel.split('/').some((s) => s === '..')) return 'refused';
  const target = resolve(runDir, rel);
  if (target !== runDir && !target.startsWith(runDir + sep)) return 'refused';
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    return undefined;
  }
  if (real !== runDir && !real.startsWith(runDir + sep)) return 'refused';
  try {
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}
