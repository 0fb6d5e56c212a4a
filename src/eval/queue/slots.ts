/** A counting semaphore: a worker's trial slots, shared by every study it serves. */
export class Slots {
  private readonly waiting: Array<() => void> = [];
  private used = 0;

  constructor(readonly size: number) {}

  get running(): number {
    return this.used;
  }

  acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot straight to the next waiter, if any. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.used--;
  }
}
