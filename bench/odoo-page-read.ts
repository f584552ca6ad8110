/**
 * 100,000 partners read through odoo-read in page mode. The sandbox runs in a child process so this process's
 * memory is the node's and the client's alone; peak RSS is sampled while the pages flow.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { SANDBOX_DEFAULTS } from '../sandbox';
import { createOdooClient } from '../nodes/lib/odoo';
import connectionNode = require('../nodes/odoo-connection');
import readNode = require('../nodes/odoo-read');
import { arrivals, helper, loadFlow, withRuntime } from './harness';

const RECORDS = 100_000;
const PAGE = 1_000;
const SEED_CHUNK = 2_000;

function startSandboxProcess(): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'sandbox', 'cli.js')], { env: { ...process.env, SANDBOX_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout?.on('data', (chunk: Buffer) => {
      const match = /listening on (\S+)/.exec(chunk.toString());
      if (match) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}

export async function benchPageRead(): Promise<Record<string, number>> {
  const { child, url } = await startSandboxProcess();
  try {
    const seeder = createOdooClient({ url, protocol: 'json2', apiKey: SANDBOX_DEFAULTS.apiKey, database: SANDBOX_DEFAULTS.database });
    const tag = `paged${Date.now()}`;
    for (let start = 0; start < RECORDS; start += SEED_CHUNK) {
      const vals = Array.from({ length: SEED_CHUNK }, (_, i) => ({ name: `${tag} ${start + i}`, email: `${tag}.${start + i}@example.com`, city: 'Brussels', comment: 'x'.repeat(40) }));
      await seeder.call('res.partner', 'create', { vals_list: vals });
    }
    seeder.close();

    return await withRuntime(async () => {
      await loadFlow(
        [connectionNode, readNode],
        [
          { id: 'f1', type: 'tab' },
          { id: 'conn', type: 'odoo-connection', url, database: SANDBOX_DEFAULTS.database, protocol: 'json2', timeout: 120, concurrency: 4, tlsVerify: true },
          {
            id: 'read', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_read', model: 'res.partner', modelType: 'str',
            domain: JSON.stringify([['name', '=like', `${tag} %`]]), domainType: 'json', fields: 'name,email,city,comment,write_date', fieldsType: 'str',
            order: 'id asc', limit: '', offset: '', context: '{}', contextType: 'json', output: 'page', pageSize: PAGE, maxRecords: 10000, incremental: false, wires: [['out']],
          },
          { id: 'out', type: 'helper', z: 'f1' },
        ],
        { conn: { apiKey: SANDBOX_DEFAULTS.apiKey } },
      );
      (global as { gc?: () => void }).gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 2);
      let records = 0;
      const started = process.hrtime.bigint();
      const done = arrivals('out', RECORDS / PAGE, (msg) => {
        records += (msg.payload as unknown[]).length;
      });
      helper.getNode('read').receive({ payload: null });
      await done;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (records !== RECORDS) throw new Error(`read ${records} of ${RECORDS} records`);
      return {
        page_read_peak_rss_growth_mb: (peak - baseline) / (1024 * 1024),
        page_read_records_per_s: Math.round(RECORDS / (ms / 1000)),
      };
    });
  } finally {
    child.kill('SIGTERM');
  }
}
