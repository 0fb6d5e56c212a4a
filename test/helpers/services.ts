/**
 * Tests that need an outside program (redis-server, Chromium) skip locally when it is missing, with a message saying
 * how to get it; in CI (CI=true) or with EVOTUNE_REQUIRE_SERVICES=1 a missing program fails the run instead, so that a
 * green CI cannot hide skipped tests.
 */
export const servicesRequired = (env: NodeJS.ProcessEnv = process.env) => env.CI === 'true' || env.EVOTUNE_REQUIRE_SERVICES === '1';

/** True when `service` is there; otherwise warns that `what` is skipped, or throws when services are required. */
export function needService(service: string, available: boolean, what: string, install: string): boolean {
  if (available) return true;
  if (servicesRequired()) {
    throw new Error(`${what} cannot run: ${service} is missing, and CI=true or EVOTUNE_REQUIRE_SERVICES=1 forbids skipping (${install})`);
  }
  console.warn(`${what} skipped: ${service} is missing (${install})`);
  return false;
}
