/**
 * The module nrlint's CLI loads from the `plugins` list of its .nrlintrc.js:
 * `plugins: ['node-red-contrib-odoo-middleware/dist/nodes/lib/lint/nrlint-plugin']`.
 */
import { nrlintRules } from './nrlint';

export = nrlintRules();
