/**
 * Puts the editor files where Node-RED's registry looks for them: `x.html`, `locales/` and `icons/` beside the
 * compiled `x.js`, and example flows in `examples/` at the package root, generated from their one source in
 * `flows/examples/`; the lint rules as the script nrlint's editor worker loads.
 */
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const out = path.join(root, 'dist', 'nodes');

function copyTree(from: string, to: string, keep: (name: string) => boolean): void {
  if (!fs.existsSync(from)) return;
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyTree(src, dest, keep);
    } else if (keep(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(src, dest);
    }
  }
}

fs.mkdirSync(out, { recursive: true });
for (const name of fs.readdirSync(path.join(root, 'nodes'))) {
  if (name.endsWith('.html')) fs.copyFileSync(path.join(root, 'nodes', name), path.join(out, name));
}
copyTree(path.join(root, 'nodes', 'locales'), path.join(out, 'locales'), (n) => n.endsWith('.json') || n.endsWith('.html'));
copyTree(path.join(root, 'icons'), path.join(out, 'icons'), (n) => n.endsWith('.svg') || n.endsWith('.png'));

const examples = path.join(root, 'examples');
fs.rmSync(examples, { recursive: true, force: true });
copyTree(path.join(root, 'flows', 'examples'), examples, (n) => n.endsWith('.json'));

// nrlint's editor worker loads rule scripts with importScripts: the lint rules as one browser script, served by
// Node-RED from the package's resources/ folder.
buildSync({
  entryPoints: [path.join(out, 'lib', 'lint', 'nrlint-worker.js')],
  outfile: path.join(root, 'resources', 'lint', 'nrlint-rules.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  logLevel: 'warning',
});
