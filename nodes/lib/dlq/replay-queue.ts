/** Spaces replays out (at most `ratePerSecond`), so a bulk replay does not flood the flow or Odoo. */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class ReplayQueue<T> {
  private readonly queue: Array<{ key: string; item: T }> = [];
  private readonly keys = new Set<string>();
  private timer: unknown;
  private running = false;
  private closed = false;
  private readonly intervalMs: number;

  constructor(
    ratePerSecond: number,
    private readonly emit: (item: T) => Promise<void>,
    private readonly timers: Timers = realTimers,
  ) {
    this.intervalMs = 1000 / Math.max(ratePerSecond, 0.001);
  }

  get size(): number {
    return this.queue.length;
  }

  /** False when the key is already waiting (a double click must not replay twice). */
  push(key: string, item: T): boolean {
    if (this.closed || this.keys.has(key)) return false;
    this.keys.add(key);
    this.queue.push({ key, item });
    if (!this.running) this.pump();
    return true;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.keys.clear();
  }

  private pump(): void {
    const next = this.queue.shift();
    if (next === undefined || this.closed) {
      this.running = false;
      return;
    }
    this.running = true;
    const started = this.emit(next.item).catch(() => undefined);
    void started.then(() => {
      this.keys.delete(next.key);
      if (this.closed) return;
      this.timer = this.timers.setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.intervalMs);
    });
  }
}
