/**
 * canonical-mapper throughput against the same mapping written as one JSONata expression in a core change node.
 * Each runs in an embedded Node-RED runtime of its own, in a child process of its own (`RED.init`/`RED.start`, as
 * in production: the test helper's sinon spies on every send would dominate the figures), and all are measured the
 * same way: a steady stream of a 20-field shop order with 5 lines, WINDOW messages in flight, messages per second
 * at a sink node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { MappingRule } from '../nodes/lib/mapper/types';
import { deploy as deployFlow, makeUserDir, SINK_TYPE, startRedIn, throughput, type EmbeddedRed } from '../test/helpers/embedded-red';

const MESSAGES = 10_000;
const WARM_UP = 10_000;
/** Each set-up is measured this many times; the best run counts. */
const ROUNDS = 5;

export function order(i: number): Record<string, unknown> {
  const address = { first_name: 'Ada', last_name: 'Lovelace', address1: `Main Street ${i}`, city: 'London', zip: 'N1 9GU', country_code: 'gb' };
  return {
    id: 100000 + i,
    email: ` Ada.Lovelace${i}@Example.com `,
    created_at: '2026-01-15T10:20:30+01:00',
    currency: 'gbp',
    financial_status: 'paid',
    customer: { id: 5000 + i, first_name: 'Ada', last_name: 'Lovelace', phone: '+44 20 7946 0000' },
    billing_address: address,
    shipping_address: address,
    line_items: Array.from({ length: 5 }, (_, n) => ({ sku: ` sku-${n} `, title: `Item ${n}`, quantity: String(n + 1), price: `${n + 1}9.95`, total: `${(n + 1) * 20}.00` })),
    total_tax: '20.00',
    shipping: '4.95',
    total_price: '124.95',
    note: ' leave at the door ',
  };
}

const p = (path: string) => ({ kind: 'path' as const, path });
const money = [{ type: 'currency' as const, currency: 'GBP' }];

/** 20 top-level fields (addresses count their fields) plus 5 fields per line. */
export const RULES: MappingRule[] = [
  { target: 'externalId', source: p('id'), transforms: ['string'] },
  { target: 'source', source: { kind: 'const', value: 'shop' } },
  { target: 'status', source: p('financial_status'), transforms: [{ type: 'lookup', table: { paid: 'confirmed', pending: 'draft' }, default: 'draft' }] },
  { target: 'orderDate', source: p('created_at'), transforms: ['datetime'] },
  { target: 'currency', source: p('currency'), transforms: ['upper'] },
  { target: 'customer.externalId', source: p('customer.id'), transforms: ['string'] },
  { target: 'customer.email', source: p('email'), transforms: ['trim', 'lower'] },
  { target: 'customer.name', source: p('customer.first_name'), transforms: [{ type: 'concat', sources: [p('customer.last_name')] }] },
  { target: 'customer.phone', source: p('customer.phone') },
  { target: 'billingAddress.street', source: p('billing_address.address1') },
  { target: 'billingAddress.city', source: p('billing_address.city') },
  { target: 'billingAddress.zip', source: p('billing_address.zip') },
  { target: 'billingAddress.country', source: p('billing_address.country_code'), transforms: ['upper'] },
  { target: 'shippingAddress.street', source: p('shipping_address.address1') },
  { target: 'shippingAddress.city', source: p('shipping_address.city') },
  { target: 'shippingAddress.zip', source: p('shipping_address.zip') },
  { target: 'shippingAddress.country', source: p('shipping_address.country_code'), transforms: ['upper'] },
  { target: 'taxAmount', source: p('total_tax'), transforms: money },
  { target: 'shippingAmount', source: p('shipping'), transforms: money },
  { target: 'totalAmount', source: p('total_price'), transforms: money },
  { target: 'note', source: p('note'), transforms: ['trim'] },
  {
    target: 'lines',
    source: p('line_items'),
    transforms: [
      {
        type: 'map',
        rules: [
          { target: 'sku', source: p('sku'), transforms: ['trim', 'upper'] },
          { target: 'name', source: p('title') },
          { target: 'quantity', source: p('quantity'), transforms: ['number'] },
          { target: 'unitPrice', source: p('price'), transforms: money },
          { target: 'lineTotal', source: p('total'), transforms: money },
        ],
      },
    ],
  },
];

/** The same mapping as one JSONata expression (the usual way to do it with a change node). */
export const JSONATA = `{
  "externalId": $string(id),
  "source": "shop",
  "status": financial_status = "paid" ? "confirmed" : "draft",
  "orderDate": $fromMillis($toMillis(created_at)),
  "currency": $uppercase(currency),
  "customer": {
    "externalId": $string(customer.id),
    "email": $lowercase($trim(email)),
    "name": customer.first_name & " " & customer.last_name,
    "phone": customer.phone
  },
  "billingAddress": { "street": billing_address.address1, "city": billing_address.city, "zip": billing_address.zip, "country": $uppercase(billing_address.country_code) },
  "shippingAddress": { "street": shipping_address.address1, "city": shipping_address.city, "zip": shipping_address.zip, "country": $uppercase(shipping_address.country_code) },
  "taxAmount": $round($number(total_tax), 2),
  "shippingAmount": $round($number(shipping), 2),
  "totalAmount": $round($number(total_price), 2),
  "note": $trim(note),
  "lines": [line_items.{
    "sku": $uppercase($trim(sku)),
    "name": title,
    "quantity": $number(quantity),
    "unitPrice": $round($number(price), 2),
    "lineTotal": $round($number(total), 2)
  }]
}`;

/** Deploys every set-up once, each as its own entry node wired to one sink, as a flow runs in production. */
async function deployAll(RED: EmbeddedRed, setups: Record<string, Record<string, unknown>>): Promise<void> {
  const sink = 'bench-out';
  const entries = Object.entries(setups).map(([name, entry]) => ({
    ...entry,
    id: `bench-${name}`,
    z: 'bench-tab',
    wires: (entry.wires as string[][]).map((port) => port.map(() => sink)),
  }));
  const flows = [{ id: 'bench-tab', type: 'tab', label: 'mapper bench' }, ...entries, { id: sink, type: SINK_TYPE, z: 'bench-tab', wires: [] }];
  await deployFlow(RED, flows, entries[entries.length - 1].id, { error: 'the bench flow did not start' });
}

/** Builds `count` orders up front, so the timed loop only sends them (each in a new message). */
function orders(count: number): (i: number) => Record<string, unknown> {
  const all = Array.from({ length: count }, (_, i) => order(i));
  return (i) => ({ payload: all[i] });
}

const SETUPS: Record<string, Record<string, unknown>> = {
  jsonata: { type: 'change', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: JSONATA, tot: 'jsonata' }], wires: [['sink']] },
  mapper: { type: 'canonical-mapper', mode: 'rules', rules: RULES, schemaType: 'none', wires: [['sink'], []] },
  validated: { type: 'canonical-mapper', mode: 'rules', rules: RULES, schemaType: 'canonical', schema: 'https://schemas.odoo-middleware.dev/canonical/sales-order/1.0.0', wires: [['sink'], ['sink']] },
  hop: { type: 'change', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'hop', tot: 'str' }], wires: [['sink']] },
};

type Request = { round: number };
type Reply = { ready: true } | { rate: number } | { error: string };

/** One set-up in a runtime of its own (this process): warms up, then measures a round each time it is asked. */
async function serveSide(name: string): Promise<void> {
  const send = (reply: Reply): void => {
    (process.send as (m: Reply) => void)(reply);
  };
  const dir = makeUserDir(`mw-bench-mapper-${name}-`, ['canonical-mapper'], { sink: true });
  const RED = await startRedIn(dir);
  try {
    await deployAll(RED, { [name]: SETUPS[name] });
    // Every side maps the same orders, built once: the figures compare transformations, not input allocation.
    const messages = orders(MESSAGES);
    await throughput(RED, `bench-${name}`, WARM_UP, messages);
    send({ ready: true });
    await new Promise<void>((resolve) => {
      process.on('message', () => {
        throughput(RED, `bench-${name}`, MESSAGES, messages).then(
          (rate) => send({ rate }),
          (err: unknown) => send({ error: String(err) }),
        );
      });
      process.on('disconnect', resolve);
    });
  } finally {
    await RED.stop();
    dir.remove();
  }
}

interface Side {
  name: string;
  child: ChildProcess;
  next(): Promise<Reply>;
}

function spawnSide(name: string): Side {
  const child = fork(__filename, ['--side', name], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const replies: Reply[] = [];
  const waiting: Array<(reply: Reply) => void> = [];
  child.on('message', (reply: Reply) => {
    const resolve = waiting.shift();
    if (resolve) resolve(reply);
    else replies.push(reply);
  });
  child.on('exit', (code) => {
    for (const resolve of waiting.splice(0)) resolve({ error: `the ${name} side exited with ${code}` });
  });
  return {
    name,
    child,
    next: () => (replies.length > 0 ? Promise.resolve(replies.shift() as Reply) : new Promise((resolve) => waiting.push(resolve))),
  };
}

async function expect(side: Side): Promise<number | undefined> {
  const reply = await side.next();
  if ('error' in reply) throw new Error(`${side.name}: ${reply.error}`);
  return 'rate' in reply ? reply.rate : undefined;
}

/**
 * Each set-up runs in a child process of its own (its own heap: JSONata's garbage never lands on the mapper's
 * figure), and the rounds interleave the set-ups, one at a time, so machine load falls on all of them alike.
 */
export async function benchMapper(): Promise<Record<string, number>> {
  const sides = Object.keys(SETUPS).map(spawnSide);
  const best: Record<string, number> = {};
  try {
    for (const side of sides) await expect(side);
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of sides) {
        side.child.send({ round } satisfies Request);
        best[side.name] = Math.max(best[side.name] ?? 0, (await expect(side)) ?? 0);
      }
    }
    return {
      mapper_msgs_per_s: Math.round(best.mapper),
      mapper_validated_msgs_per_s: Math.round(best.validated),
      jsonata_change_msgs_per_s: Math.round(best.jsonata),
      change_hop_msgs_per_s: Math.round(best.hop),
      mapper_vs_jsonata_ratio: best.mapper / best.jsonata,
    };
  } finally {
    for (const side of sides) side.child.disconnect();
  }
}

const sideArg = process.argv.indexOf('--side');
if (require.main === module && sideArg !== -1) {
  serveSide(process.argv[sideArg + 1]).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else if (require.main === module) {
  benchMapper().then(
    (figures) => {
      for (const [name, value] of Object.entries(figures)) console.log(`${name}: ${value}`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
