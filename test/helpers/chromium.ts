import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { servicesRequired } from './services.js';

/** Debian's Chromium: the browser tests never download one. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests can run here. Without Chromium they are skipped locally, and fail where services are required (services.ts). */
export function chromiumAvailable(suite: string): boolean {
  const ok = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).status === 0;
  if (!ok) {
    if (servicesRequired())
      throw new Error(`${suite}: ${CHROMIUM} is missing, and CI=true or EVOTUNE_REQUIRE_SERVICES=1 forbids skipping (apt-get install chromium)`);
    process.stderr.write(`${suite}: skipped, ${CHROMIUM} is missing (apt-get install chromium); CI fails instead of skipping\n`);
  }
  return ok;
}

/** Headless Chromium with a fresh profile, no network of its own (no updates, no sync, no QUIC). */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  // The fresh profile is playwright's userDataDir (it refuses --user-data-dir among the args).
  const profile = mkdtempSync(join(tmpdir(), 'evotune-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args,
    headless: true,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
