import { startSandboxFromEnv } from './index';

startSandboxFromEnv().then(
  (sandbox) => {
    process.stdout.write(`odoo sandbox listening on ${sandbox.url}\n`);
    const stop = (): void => {
      sandbox.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (err: unknown) => {
    process.stderr.write(`odoo sandbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
