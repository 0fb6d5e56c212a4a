/**
 * Runs `task` now and then every `ms`, never two runs at once: while Redis is unreachable a run waits for it, and
 * the ticks meanwhile are skipped. A failed run is dropped: the next tick tries again, and outages are reported
 * by the connection watch. Returns a function that stops the ticks.
 */
export function repeat(ms: number, task: () => Promise<unknown>): () => void {
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    task()
      .catch(() => undefined)
      .finally(() => (busy = false));
  };
  tick();
  const timer = setInterval(tick, ms);
  return () => clearInterval(timer);
}

/** Waits for `work` at most `ms`: true if it succeeded in time (cleanup against a Redis that may be unreachable). */
export async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
