/**
 * Where the canonical mapper may read a JSON Schema file from: the `schemas/` folder of the Node-RED user
 * directory and this package's own `schemas/`, nowhere else. The path comes from a flow or from the editor's
 * preview request, so `../../etc/passwd`, absolute paths and symlinks leading out of those folders are refused
 * before any file is opened; the refusal does not say whether the target exists.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from '../errors';
import { findSchemasDir } from './schemas';

export const USER_SCHEMA_FOLDER = 'schemas';

/** `<userDir>/schemas` first, then the package's `schemas/`; a path is relative to the user dir or the package. */
export function schemaRoots(userDir: string): Array<{ base: string; folder: string }> {
  const packageRoot = path.dirname(path.dirname(findSchemasDir()));
  return [
    { base: userDir, folder: path.join(userDir, USER_SCHEMA_FOLDER) },
    { base: packageRoot, folder: path.join(packageRoot, 'schemas') },
  ];
}

const inside = (folder: string, file: string): boolean => {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

function refuse(value: string, why: string): ValidationError {
  return new ValidationError(
    `schema: file '${value}' refused: ${why}; schema files are read only from the user directory's ${USER_SCHEMA_FOLDER}/ folder ` +
      `(give a path such as '${USER_SCHEMA_FOLDER}/my-order.json') or from this package's schemas/`,
    { property: 'schema' },
  );
}

/** The real path of an allowed schema file, or a ValidationError naming the rule. */
export function resolveSchemaFile(value: string, userDir: string): string {
  if (!value) throw new ValidationError('schema: a file path is required', { property: 'schema' });
  if (value.includes('\0')) throw refuse(value, 'it contains a NUL character');
  if (path.isAbsolute(value) || path.win32.isAbsolute(value)) throw refuse(value, 'absolute paths are not allowed');
  let outside = true;
  for (const { base, folder } of schemaRoots(userDir)) {
    const file = path.resolve(base, value);
    if (!inside(folder, file)) continue;
    outside = false;
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch {
      continue;
    }
    // A symlink inside the folder may point anywhere: what counts is where it leads.
    if (!inside(fs.realpathSync(folder), real)) throw refuse(value, 'it leads outside the schema folders');
    return real;
  }
  if (outside) throw refuse(value, 'it is outside the schema folders');
  throw new ValidationError(`schema: cannot read JSON Schema file '${value}': no such file in the schema folders`, { property: 'schema' });
}
