/**
 * `npm run bench`: each section runs in a child process of its own, so one section's heap and peak RSS never
 * colour another's figures. Every figure is printed as `name: value`, one per line.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { SECTIONS } from './sections';

const only = process.argv.slice(2);
const chosen = only.length > 0 ? only : Object.keys(SECTIONS);
let failed = 0;
for (const name of chosen) {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'section.js'), name], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) {
    failed += 1;
    console.error(`section ${name} failed (exit ${result.status}):\n${result.stderr}`);
  } else {
    // Notes (a figure not measured, where the time went) go to stderr.
    process.stderr.write(result.stderr);
    console.error(`section ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
process.exit(failed === 0 ? 0 : 1);
