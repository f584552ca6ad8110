import type { Node } from 'node-red';
import { ok, type NodeStatus } from '../status';

export interface ThrottledStatus {
  /** Redraws the green count within the interval, once however many calls come in it. */
  update(): void;
  /** Drops a pending redraw and shows `status` now (a failure, or cleared on close). */
  show(status: NodeStatus): void;
}

/** A counter status redrawn at most once per `intervalMs`, so a busy flow does not flood the editor. */
export function throttledStatus(node: Node, intervalMs: number, text: () => string): ThrottledStatus {
  let timer: NodeJS.Timeout | undefined;
  return {
    update() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        node.status(ok(text()));
      }, intervalMs);
    },
    show(status) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      node.status(status);
    },
  };
}
