/** At most `limit` tasks run at once; the others wait in arrival order. */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Array<{ start: () => void; cancel: (reason: Error) => void; label?: string }> = [];

  constructor(private readonly limit: number) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** `label` names the task for the error of cancelQueued. */
  run<T>(task: () => Promise<T>, label?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running += 1;
        let result: Promise<T>;
        try {
          result = task();
        } catch (err) {
          result = Promise.reject(err);
        }
        result.then(resolve, reject).finally(() => {
          this.running -= 1;
          this.waiting.shift()?.start();
        });
      };
      if (this.running < this.limit) start();
      else this.waiting.push({ start, cancel: reject, label });
    });
  }

  /** Rejects every task that has not started yet. */
  cancelQueued(reason: (label?: string) => Error): void {
    for (const entry of this.waiting.splice(0)) entry.cancel(reason(entry.label));
  }
}
