/** The mapper reads schema files only from <userDir>/schemas and the package's schemas/, on a real file system. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMapperEngine } from '../../../nodes/lib/canonical';
import { resolveSchemaFile } from '../../../nodes/lib/canonical/schema-files';
import { findSchemasDir } from '../../../nodes/lib/canonical/schemas';

const RULES = [{ target: 'n', source: { kind: 'path' as const, path: 'n' } }];
const SCHEMA = { type: 'object', properties: { n: { type: 'integer' } } };

describe('mapper schema files', () => {
  let userDir: string;
  let outsideDir: string;

  beforeEach(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-schema-user-'));
    outsideDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-schema-outside-'));
    fs.mkdirSync(path.join(userDir, 'schemas', 'orders'), { recursive: true });
    fs.writeFileSync(path.join(userDir, 'schemas', 'orders', 'count.json'), JSON.stringify(SCHEMA));
    fs.writeFileSync(path.join(userDir, 'flows_cred.json'), '{"secret":"s3cret"}');
    fs.writeFileSync(path.join(outsideDir, 'secret.json'), JSON.stringify(SCHEMA));
  });
  afterEach(() => {
    fs.rmSync(userDir, { recursive: true, force: true });
    fs.rmSync(outsideDir, { recursive: true, force: true });
  });

  const engineWith = (value: string) => createMapperEngine({ mode: 'rules', rules: RULES, schema: { type: 'file', value }, baseDir: userDir });
  const refused = (value: string, why: RegExp): void => {
    assert.throws(() => engineWith(value), (err: { code?: string; message: string }) => {
      assert.equal(err.code, 'MW_VALIDATION');
      assert.match(err.message, why);
      assert.match(err.message, /read only from the user directory's schemas\/ folder/);
      assert.doesNotMatch(err.message, /s3cret|root:/);
      return true;
    });
  };

  it('reads a schema from <userDir>/schemas and validates with it', () => {
    const engine = engineWith('schemas/orders/count.json');
    assert.deepEqual(engine.run({ n: 'x' }), { ok: false, stage: 'output', errors: [{ path: 'n', message: 'must be integer' }], output: { n: 'x' } });
    assert.equal((engine.run({ n: 2 }) as { ok: boolean }).ok, true);
  });

  it("reads a schema from the package's schemas/ folder", () => {
    const file = resolveSchemaFile('schemas/canonical/party-1.0.0.json', userDir);
    assert.equal(file, fs.realpathSync(path.join(findSchemasDir(), 'party-1.0.0.json')));
    assert.doesNotThrow(() => engineWith('schemas/canonical/party-1.0.0.json'));
  });

  it('refuses ../ out of the folders: ../../etc/passwd, the credentials file, a sibling directory', () => {
    refused('../../etc/passwd', /outside the schema folders/);
    refused('schemas/../../../../../../etc/passwd', /outside the schema folders/);
    refused('flows_cred.json', /outside the schema folders/);
    refused('schemas/../flows_cred.json', /outside the schema folders/);
    refused(path.relative(userDir, path.join(outsideDir, 'secret.json')), /outside the schema folders/);
  });

  it('refuses absolute paths, even into a schema folder', () => {
    refused('/etc/passwd', /absolute paths are not allowed/);
    refused(path.join(userDir, 'schemas', 'orders', 'count.json'), /absolute paths are not allowed/);
    refused('C:\\Windows\\win.ini', /absolute paths are not allowed/);
  });

  it('refuses a symlink in the schema folder that leads out of it, to a file or a directory', () => {
    fs.symlinkSync(path.join(outsideDir, 'secret.json'), path.join(userDir, 'schemas', 'link.json'));
    fs.symlinkSync('/etc', path.join(userDir, 'schemas', 'etc'));
    refused('schemas/link.json', /leads outside the schema folders/);
    refused('schemas/etc/passwd', /leads outside the schema folders/);
  });

  it('follows a symlink that stays inside the folder', () => {
    fs.symlinkSync(path.join(userDir, 'schemas', 'orders', 'count.json'), path.join(userDir, 'schemas', 'alias.json'));
    assert.equal((engineWith('schemas/alias.json').run({ n: 1 }) as { ok: boolean }).ok, true);
  });

  it('a missing file in a schema folder is a clear error, not a crash', () => {
    assert.throws(() => engineWith('schemas/none.json'), /cannot read JSON Schema file 'schemas\/none.json': no such file in the schema folders/);
    assert.throws(() => engineWith(''), /a file path is required/);
  });
});
