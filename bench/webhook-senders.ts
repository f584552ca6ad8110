/**
 * The senders of the inbox benchmark, in a child process of their own: real senders are other machines, so the
 * cost of signing and sending (HMAC, the HTTP client) must not land on the event loop of the Node-RED under test.
 * `sendWebhooks` forks this file; the child runs one round per request it is sent and answers with its figures.
 */
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as http from 'node:http';

export interface SendRound {
  port: number;
  path: string;
  secret: string;
  count: number;
  /** Order ids start here, so no two rounds send the same body. */
  offset: number;
  senders: number;
}

export interface SendFigures {
  perSecond: number;
  p99Ms: number;
}

type Reply = SendFigures | { error: string };

/** `round.count` signed POSTs from `round.senders` keep-alive connections, each waiting for its answer. */
async function sendRound(round: SendRound): Promise<SendFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: round.senders });
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const body = JSON.stringify({ id: `SO${round.offset + i}`, lines: [{ sku: 'A', qty: 1 }] });
      const signature = `sha256=${createHmac('sha256', round.secret).update(body).digest('hex')}`;
      const started = process.hrtime.bigint();
      const req = http.request(
        {
          host: '127.0.0.1', port: round.port, path: round.path, method: 'POST', agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-signature': signature, 'x-delivery': `SO${round.offset + i}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 202) failed += 1;
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            resolve();
          });
        },
      );
      req.on('error', () => {
        failed += 1;
        resolve();
      });
      req.end(body);
    });
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: round.senders }, async () => {
      while (next < round.count) await one(next++);
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  if (failed > 0) throw new Error(`${failed} of ${round.count} webhooks were not answered 202`);
  latencies.sort((a, b) => a - b);
  return { perSecond: round.count / seconds, p99Ms: latencies[Math.floor(latencies.length * 0.99)] };
}

/** Runs the rounds one after the other in one child process, then lets it exit. */
export async function sendWebhooks(rounds: SendRound[]): Promise<SendFigures[]> {
  const child = fork(__filename, ['--senders'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies: Reply[] = [];
  let wake: (() => void) | undefined;
  let exited: string | undefined;
  child.on('message', (reply: Reply) => {
    replies.push(reply);
    wake?.();
  });
  child.on('exit', (code) => {
    exited = `the senders' process exited with code ${code}`;
    wake?.();
  });
  const reply = async (): Promise<Reply> => {
    while (replies.length === 0) {
      if (exited) throw new Error(exited);
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return replies.shift() as Reply;
  };
  try {
    const figures: SendFigures[] = [];
    for (const round of rounds) {
      child.send(round);
      const answer = await reply();
      if ('error' in answer) throw new Error(answer.error);
      figures.push(answer);
    }
    return figures;
  } finally {
    if (child.connected) child.disconnect();
  }
}

if (require.main === module && process.argv.includes('--senders')) {
  process.on('message', (round: SendRound) => {
    sendRound(round).then(
      (figures) => process.send?.(figures),
      (err: unknown) => process.send?.({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
