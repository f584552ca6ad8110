/**
 * A subscriber joining its group, tried again while the bus refuses, and the wait of a publisher whose events are
 * meant for that group. A group only gets what is published once it exists: a new Redis group starts at the end
 * of its stream, and a RabbitMQ exchange drops (and confirms) what no queue is bound for yet.
 */
import { realTimers, type Timers } from '../dlq/replay-queue';

export interface GroupJoinDeps {
  /** One attempt: resolves once the member is in its group. */
  join(): Promise<void>;
  /** An attempt was refused; `changed` is false when it failed as the one before. */
  refused(err: unknown, changed: boolean): void;
  retryMs: number;
  timers?: Timers;
}

type JoinState = 'waiting' | 'joining' | 'joined' | 'refused' | 'stopped';

export class GroupJoin {
  private state: JoinState = 'waiting';
  private readonly waiters = new Set<(joined: boolean) => void>();
  private retryTimer: unknown;
  private lastError: string | undefined;
  private readonly timers: Timers;

  constructor(private readonly deps: GroupJoinDeps) {
    this.timers = deps.timers ?? realTimers;
  }

  get joined(): boolean {
    return this.state === 'joined';
  }

  /** Starts joining; a refused attempt is tried again after `retryMs` until it succeeds or stop(). */
  start(): void {
    if (this.state !== 'waiting' && this.state !== 'refused') return;
    this.state = 'joining';
    this.deps.join().then(
      () => {
        if (this.state === 'stopped') return;
        this.state = 'joined';
        this.settleWaiters(true);
      },
      (err: unknown) => {
        if (this.state === 'stopped') return;
        this.state = 'refused';
        const message = err instanceof Error ? err.message : String(err);
        this.deps.refused(err, message !== this.lastError);
        this.lastError = message;
        this.settleWaiters(false);
        this.retryTimer = this.timers.setTimeout(() => this.start(), this.deps.retryMs);
      },
    );
  }

  /**
   * True once joined (at once when it is). Before the first attempt and while one runs, waits for it, at most
   * `timeoutMs`; false when it is refused, the time is up, or after stop(). Between refused attempts, false at once.
   */
  whenJoined(timeoutMs: number): Promise<boolean> {
    if (this.state === 'joined') return Promise.resolve(true);
    if (this.state === 'refused' || this.state === 'stopped') return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = this.timers.setTimeout(() => finish(false), timeoutMs);
      const finish = (joined: boolean): void => {
        this.timers.clearTimeout(timer);
        this.waiters.delete(finish);
        resolve(joined);
      };
      this.waiters.add(finish);
    });
  }

  stop(): void {
    this.state = 'stopped';
    this.timers.clearTimeout(this.retryTimer);
    this.settleWaiters(false);
  }

  private settleWaiters(joined: boolean): void {
    for (const finish of [...this.waiters]) finish(joined);
  }
}
