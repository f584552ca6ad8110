/**
 * The shipped REST facade under 1,000 seeded random partner requests (npm start, sandbox): valid Parties, unknown
 * fields, wrong types, missing names, batches with bad records, non-objects, broken JSON, odd queries. A caller's
 * mistake never answers 500, and every request is answered exactly once (no ERR_HTTP_HEADERS_SENT in the log).
 * FUZZ_SEED=<n> replays another sequence.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, type RunningProcess } from '../helpers/process';
import { startNpmStart } from '../helpers/npm-start';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUESTS = 1000;
const CONCURRENCY = 8;
const API_TOKEN = 'fuzz-test-token';

/** mulberry32: small, seedable, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Expect = 'created' | 'refused' | 'listed';

interface Case {
  kind: string;
  method: 'GET' | 'POST';
  query?: string;
  contentType?: string;
  body?: string;
  expect: Expect;
}

function generator(random: () => number) {
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const chance = (p: number): boolean => random() < p;
  const word = (): string => pick(['Acme', 'Zoë', 'Ümlaut', '日本', 'O\'Brien', 'Smith & Co', 'x', 'Δelta', 'Ready Mat', '  padded  ', '"quoted"', 'back\\slash']);
  const odd = (): unknown => pick<unknown>([null, 42, -1, 3.5, true, false, '', [], {}, ['a'], { nested: { deep: 1 } }, 'x'.repeat(300)]);

  const validParty = (n: number): Record<string, unknown> => {
    const party: Record<string, unknown> = { name: `${word()} ${n}` };
    if (chance(0.6)) party.email = `p${n}.${int(1e6)}@example.com`;
    if (chance(0.4)) party.phone = `+32 2 ${int(1e7)}`;
    if (chance(0.3)) party.kind = pick(['person', 'company']);
    if (chance(0.3)) party.roles = pick([['customer'], ['supplier'], ['customer', 'supplier'], []]);
    if (chance(0.2)) party.vat = `BE0${int(1e9)}`;
    if (chance(0.2)) party.externalId = `ext-${n}-${int(1e6)}`;
    if (chance(0.2)) party.note = word();
    if (chance(0.3)) party.addresses = [{ type: 'main', street: `${int(200)} Main St`, city: pick(['Brussels', 'Tracy', 'Lyon']), zip: String(int(99999)), ...(chance(0.7) ? { country: pick(['BE', 'US', 'FR']) } : {}) }];
    return party;
  };

  /** One thing wrong with an otherwise valid Party. */
  const badParty = (n: number): [string, Record<string, unknown>] => {
    const party = validParty(n);
    switch (int(9)) {
      case 0:
        party[pick(['website', 'x_custom', 'is_company', 'customer_rank', 'foo', 'parent_id', '__proto__x', 'country_id'])] = odd();
        return ['unknown field', party];
      case 1:
        delete party.name;
        return ['no name', party];
      case 2:
        party.name = pick<unknown>(['', 42, null, ['a'], { first: 'a' }, true]);
        return ['bad name', party];
      case 3:
        party.email = pick<unknown>(['not-an-email', 42, '', '@', 'a@', null]);
        return ['bad email', party];
      case 4:
        party.kind = pick<unknown>(['robot', 1, null, 'Company']);
        return ['bad kind', party];
      case 5:
        party.roles = pick<unknown>(['customer', ['admin'], [1], ['customer', 'customer'], {}]);
        return ['bad roles', party];
      case 6:
        party.addresses = pick<unknown>([[{ country: 'ZZ' }], [{ country: 'be' }], [{ planet: 'Mars' }], 'Main St', [null], [{ street: 5 }]]);
        return ['bad address', party];
      case 7:
        party.odooId = pick<unknown>([0, -3, 'seven', 1.5]);
        return ['bad odooId', party];
      default:
        party[pick(['phone', 'vat', 'note', 'externalId'])] = pick<unknown>([42, null, [], {}, true]);
        return ['bad type', party];
    }
  };

  return (n: number): Case => {
    const roll = random();
    if (roll < 0.3) return { kind: 'valid', method: 'POST', body: JSON.stringify(validParty(n)), expect: 'created' };
    if (roll < 0.65) {
      const [kind, party] = badParty(n);
      return { kind, method: 'POST', body: JSON.stringify(party), expect: 'refused' };
    }
    if (roll < 0.75) {
      const batch = Array.from({ length: 2 + int(4) }, (_, i) => validParty(n * 10 + i));
      batch[int(batch.length)] = badParty(n)[1];
      return { kind: 'batch with a bad record', method: 'POST', body: JSON.stringify(batch), expect: 'refused' };
    }
    if (roll < 0.82) return { kind: 'not an object', method: 'POST', body: JSON.stringify(odd()), expect: 'refused' };
    if (roll < 0.87) {
      return { kind: 'broken JSON', method: 'POST', body: pick(['{"name":', '{name: "x"}', '{"name":"a",}', '\u0000', '{"name":"a"}}', "{'name':'a'}"]), expect: 'refused' };
    }
    if (roll < 0.9) {
      const contentType = pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/octet-stream']);
      const body = pick(['name=Acme', '<name>Acme</name>', 'Acme', '{"name":"Acme"}']);
      // A form with just a name is a valid Party; everything else here is not one.
      const expect = contentType === 'application/x-www-form-urlencoded' && body === 'name=Acme' ? 'created' : 'refused';
      return { kind: `body as ${contentType}`, method: 'POST', contentType, body, expect };
    }
    if (chance(0.3)) return { kind: 'search with q not a string', method: 'GET', query: pick(['q=a&q=b', 'q[name]=x', 'q[$ne]=1', 'q[]=1']), expect: 'refused' };
    const query = pick([`q=${encodeURIComponent(word())}`, 'q=', `q=${encodeURIComponent('%_[]()')}`, 'limit=-1', `q=${'x'.repeat(500)}`, 'q=%FF', '']);
    return { kind: 'search', method: 'GET', query, expect: 'listed' };
  };
}

interface Outcome {
  c: Case;
  status: number;
  body: unknown;
}

describe('REST facade fuzz (1,000 seeded partner requests, npm start)', function () {
  this.timeout(300_000);
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-fuzz-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startNpmStart({ userDir, port, env: { API_TOKEN } });
  });

  after(async function () {
    await red?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it(`answers every request exactly once and never 500 (seed ${SEED})`, async function () {
    const next = generator(rng(SEED));
    const cases = Array.from({ length: REQUESTS }, (_, i) => next(i));
    const outcomes: Outcome[] = [];
    const unanswered: string[] = [];
    let cursor = 0;
    const worker = async (): Promise<void> => {
      while (cursor < cases.length) {
        const c = cases[cursor++];
        const url = `${base}/api/partners${c.query ? `?${c.query}` : ''}`;
        try {
          const res = await fetch(url, {
            method: c.method,
            headers: { accept: 'application/json', authorization: `Bearer ${API_TOKEN}`, ...(c.body !== undefined ? { 'content-type': c.contentType ?? 'application/json' } : {}) },
            body: c.body,
            signal: AbortSignal.timeout(15_000),
          });
          const text = await res.text();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Kept as text for the report.
          }
          outcomes.push({ c, status: res.status, body });
        } catch (err) {
          unanswered.push(`${c.kind} ${c.method} ${c.query ?? c.body}: ${(err as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const show = (list: Outcome[]): string =>
      list.slice(0, 8).map((o) => `${o.status} ${o.c.kind}: ${o.c.method} ${o.c.query ?? o.c.body} -> ${JSON.stringify(o.body).slice(0, 300)}`).join('\n');
    const log = red?.output() ?? '';
    const serverErrors = outcomes.filter((o) => o.status >= 500);
    assert.deepEqual(unanswered, [], 'requests without an answer');
    assert.equal(outcomes.length, REQUESTS);
    assert.equal(serverErrors.length, 0, `${serverErrors.length} answers of 5xx:\n${show(serverErrors)}`);
    assert.doesNotMatch(log, /ERR_HTTP_HEADERS_SENT|headers after they are sent/, 'a request was answered twice');

    // Each case gets the answer its kind calls for.
    const wrong = outcomes.filter((o) => {
      if (o.c.expect === 'created') return o.status !== 201 || typeof (o.body as { id?: unknown }).id !== 'number';
      if (o.c.expect === 'listed') return o.status !== 200 || !Array.isArray(o.body);
      return o.status < 400 || typeof (o.body as { error?: { code?: unknown } }).error?.code !== 'string';
    });
    assert.equal(wrong.length, 0, `${wrong.length} unexpected answers:\n${show(wrong)}`);
    const refusedParties = outcomes.filter((o) => o.status === 422);
    assert.ok(refusedParties.every((o) => Array.isArray((o.body as { error: { errors?: unknown } }).error.errors)), 'a 422 lists the errors');
    assert.ok(outcomes.some((o) => o.c.kind === 'batch with a bad record'), 'the seed produced batches');
  });
});
