/** Child Node-RED processes for end-to-end tests: free ports, waiting for start-up, stopping cleanly. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts a process and resolves once its output matches `ready`; rejects with the output on exit or timeout. */
export function startProcess(cmd: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; ready: RegExp; timeoutMs: number }): Promise<RunningProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const running: RunningProcess = {
      child,
      output: () => out,
      stop: () =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
    };
    const timer = setTimeout(() => {
      void running.stop();
      reject(new Error(`process did not become ready within ${options.timeoutMs} ms:\n${out}`));
    }, options.timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (options.ready.test(out)) {
        clearTimeout(timer);
        resolve(running);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code} before it was ready:\n${out}`));
    });
  });
}

export async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
  const res = await fetch(url, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text so the assertion shows it.
  }
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: res.status, body, headers };
}
