import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../src/dashboard/server.js';
import { appendTrial, makeRun } from './helpers/dashboard-runs.js';

const bin = join(import.meta.dirname, '..', 'dist/bin/evotune.js');
const SECRET = 'the secret next to the runs';

/** A GET with the path exactly as given (fetch would normalise "..", which is what an attacker would not do). */
function get(
  base: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('dashboard server', () => {
  let top: string;
  let root: string;
  let dash: Dashboard;

  beforeAll(async () => {
    top = mkdtempSync(join(tmpdir(), 'evotune-dash-sec-'));
    root = join(top, 'runs');
    writeFileSync(join(top, 'secret.txt'), SECRET);
    await makeRun(join(root, 'a'), 12);
    await makeRun(join(top, 'outside'), 12);
    // Links out of the served folders: to a file, to a folder, and to a run folder.
    symlinkSync(join(top, 'secret.txt'), join(root, 'a', 'link.txt'));
    symlinkSync(top, join(root, 'a', 'up'));
    symlinkSync(join(top, 'outside'), join(root, 'linked-run'));
    mkdirSync(join(root, 'broken'));
    writeFileSync(join(root, 'broken', 'journal.jsonl'), 'not json\n');
    dash = await startDashboard({ dirs: [root], port: 0, pollMs: 100 });
  }, 60_000);

  afterAll(async () => {
    await dash?.close();
  });

  it('lists only the run folders under the named folder, not those a symlink leads to', async () => {
    const runs = JSON.parse((await get(dash.url, '/api/runs')).body) as Array<{ id: string; trials?: number; error?: string }>;
    expect(runs.map((r) => r.id)).toEqual(['a', 'broken']);
    expect(runs[0]!.trials).toBe(12);
    expect(runs[1]!.error).toMatch(/line 1 is not JSON/);
    expect((await get(dash.url, '/api/runs/broken')).status).toBe(409);
    expect((await get(dash.url, '/api/runs/outside')).status).toBe(404);
  });

  it('serves the files of a run folder', async () => {
    const r = await get(dash.url, '/runs/a/files/config.json');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).budget).toBe(12);
    // A sandbox: even an HTML or SVG file in a run folder cannot run script in the dashboard's origin.
    expect(r.headers['content-security-policy']).toMatch(/^sandbox/);
    expect((await get(dash.url, '/runs/a/files/nothing.txt')).status).toBe(404);
  });

  it.each([
    ['..', '/runs/a/files/../../secret.txt'],
    ['encoded ..', '/runs/a/files/%2e%2e/%2e%2e/secret.txt'],
    ['encoded slashes', '/runs/a/files/..%2f..%2fsecret.txt'],
    ['all encoded', '/runs/a/files/%2E%2E%2F%2E%2E%2Fsecret.txt'],
    ['backslashes', '/runs/a/files/..%5c..%5csecret.txt'],
    ['an absolute path', '/runs/a/files/%2Fetc%2Fpasswd'],
    ['a symlink to a file outside', '/runs/a/files/link.txt'],
    ['a symlink to a folder outside', '/runs/a/files/up/secret.txt'],
  ])('refuses a path out of the run folder: %s', async (_what, path) => {
    const r = await get(dash.url, path);
    expect([403, 404]).toContain(r.status);
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain('root:');
  });

  it('takes a doubly encoded path as a literal name, and never serves other files of the package', async () => {
    expect((await get(dash.url, '/runs/a/files/%252e%252e%252fsecret.txt')).status).toBe(404);
    for (const p of ['/assets/..%2f..%2fpackage.json', '/assets/lib/../../package.json', '/runs/..%2f/files/secret.txt', '/secret.txt']) {
      const r = await get(dash.url, p);
      expect(r.status).toBe(404);
      expect(r.body).not.toContain(SECRET);
    }
  });

  it('answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    const r = await get(dash.url, '/api/runs', { host: 'attacker.example:80' });
    expect(r.status).toBe(403);
  });

  it('serves the page and the chart libraries from node_modules, with a policy that runs no inline script', async () => {
    const page = await get(dash.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-eval'");
    expect(page.body).not.toMatch(/src="https?:/);
    for (const lib of ['lib/vega.js', 'lib/vega-lite.js', 'lib/vega-embed.js', 'report/client.js', 'dashboard/live.js']) {
      const r = await get(dash.url, `/assets/${lib}`);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/javascript/);
    }
  });

  it('gives every chart of a run, the contour plot of the parameters asked for', async () => {
    const r = JSON.parse((await get(dash.url, '/api/runs/a?cx=act&cy=units&scale=log')).body) as { figures: Array<{ id: string; title: string }> };
    expect(r.figures.map((f) => f.id)).toEqual(['history', 'parallel', 'slice', 'contour', 'importance', 'edf', 'learning', 'timeline']);
    expect(r.figures.find((f) => f.id === 'contour')!.title).toBe('Contour plot: act and units');
  });

  it('tells the page when a journal grows (server-sent events), and never writes a journal', async () => {
    const journal = join(root, 'a', 'journal.jsonl');
    const url = new URL(dash.url);
    const got = new Promise<string>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/api/events' }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (text.includes('event: run\n')) {
            resolve(text);
            req.destroy();
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    await get(dash.url, '/api/runs/a'); // the run is followed once read
    await new Promise((r) => setTimeout(r, 300));
    appendTrial(join(root, 'a'), 0.5);
    const before = hash(journal);
    const text = await got;
    expect(text).toMatch(/event: run\ndata: \{"id":"a","version":\d+\}/);
    await get(dash.url, '/api/runs/a');
    expect(hash(journal)).toBe(before);
  });

  it('with a token, refuses requests without it and lets the printed URL in (then a cookie)', async () => {
    const d = await startDashboard({ dirs: [root], port: 0, token: 'sesame-1234' });
    try {
      expect(d.url).toMatch(/\/\?token=sesame-1234$/);
      const base = d.url.replace(/\?.*$/, '');
      expect((await get(base, '/api/runs')).status).toBe(401);
      expect((await get(base, '/api/runs?token=wrong-1234')).status).toBe(401);
      const page = await get(base, '/?token=sesame-1234');
      expect(page.status).toBe(200);
      const cookie = String(page.headers['set-cookie']).split(';')[0]!;
      expect(cookie).toBe('evotune_token=sesame-1234');
      expect((await get(base, '/api/runs', { cookie })).status).toBe(200);
    } finally {
      await d.close();
    }
  });
});

describe('evotune dashboard (command line)', () => {
  it('refuses a non-loopback --host without --token, naming both (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evotune-dash-cli-'));
    const r = spawnSync(process.execPath, [bin, 'dashboard', dir, '--host', '0.0.0.0'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^evotune: --host: expected a loopback address .* got "0\.0\.0\.0"\nhint: add --token/);
  });

  it('refuses a folder that does not exist (exit 2)', () => {
    const r = spawnSync(process.execPath, [bin, 'dashboard', '/nonexistent/runs'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('run folder /nonexistent/runs: no such folder');
  });

  it('prints the URL and serves until stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evotune-dash-cli-'));
    await makeRun(join(dir, 'r1'), 6);
    const child = spawn(process.execPath, [bin, 'dashboard', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /^(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const runs = JSON.parse((await get(url, '/api/runs')).body) as Array<{ id: string }>;
      expect(runs.map((r) => r.id)).toEqual(['r1']);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
