/**
 * Entry of the script nrlint's editor worker loads with importScripts: it adds the rules to the worker's global
 * `nrlint.rules`, as nrlint's own rule bundles do. Bundled for the browser by scripts/copy-assets.
 */
import { nrlintRules } from './nrlint';

declare const nrlint: { rules: Record<string, unknown> };

Object.assign(nrlint.rules, nrlintRules());
