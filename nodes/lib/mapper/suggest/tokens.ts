/**
 * Field names as comparable words: `billing_address.postcode`, `billingAddress.zip` and `BillingAddress/PostalCode`
 * all become `billing address zip`. Names are split on separators, camelCase and digits, compound words are
 * split, then phrases and single words are replaced by one canonical word from a table of synonyms common to
 * shop, ERP and payment APIs. The table is about words, never about one vendor's field names.
 */

/** Glued words split before anything else (`firstname` -> `first name`). */
const COMPOUNDS: Record<string, string[]> = {
  firstname: ['first', 'name'],
  lastname: ['last', 'name'],
  fullname: ['full', 'name'],
  surname: ['last', 'name'],
  givenname: ['first', 'name'],
  familyname: ['last', 'name'],
  postcode: ['zip'],
  zipcode: ['zip'],
  postalcode: ['zip'],
  // A subtotal is before tax (and shipping) in every shop and payment API.
  subtotal: ['total', 'excl'],
  grandtotal: ['total'],
  lineitems: ['line'],
  emailaddress: ['email'],
  phonenumber: ['phone'],
  countrycode: ['country'],
  createdat: ['created', 'date'],
  updatedat: ['updated', 'date'],
};

/** Several words meaning one thing; the longest phrase wins. */
const PHRASES: Array<[string[], string[]]> = [
  [['default', 'code'], ['sku']],
  [['product', 'code'], ['sku']],
  [['item', 'number'], ['sku']],
  [['article', 'number'], ['sku']],
  [['part', 'number'], ['sku']],
  [['postal', 'code'], ['zip']],
  [['post', 'code'], ['zip']],
  [['zip', 'code'], ['zip']],
  [['e', 'mail'], ['email']],
  [['address', '1'], ['street']],
  [['address', 'line', '1'], ['street']],
  [['line', '1'], ['street']],
  [['street', '1'], ['street']],
  [['address', '2'], ['street2']],
  [['address', 'line', '2'], ['street2']],
  [['line', '2'], ['street2']],
  [['street', '2'], ['street2']],
  [['grand', 'total'], ['total']],
  [['first', 'name'], ['first', 'name']],
  [['last', 'name'], ['last', 'name']],
  [['line', 'items'], ['line']],
  [['order', 'lines'], ['line']],
  [['order', 'rows'], ['line']],
  [['order', 'items'], ['line']],
  [['unit', 'amount'], ['unit', 'price']],
  [['incl', 'tax'], ['incl']],
  [['inc', 'tax'], ['incl']],
  [['including', 'tax'], ['incl']],
  [['tax', 'incl'], ['incl']],
  [['tax', 'inc'], ['incl']],
  [['ex', 'tax'], ['excl']],
  [['excl', 'tax'], ['excl']],
  [['excluding', 'tax'], ['excl']],
  [['tax', 'excl'], ['excl']],
  [['tax', 'ex'], ['excl']],
];

/** One word for another. */
const SYNONYMS: Record<string, string> = {
  qty: 'quantity',
  buyer: 'customer',
  shopper: 'customer',
  purchaser: 'customer',
  quantities: 'quantity',
  postcode: 'zip',
  postal: 'zip',
  telephone: 'phone',
  tel: 'phone',
  mobile: 'phone',
  mail: 'email',
  province: 'state',
  region: 'state',
  county: 'state',
  town: 'city',
  organization: 'company',
  organisation: 'company',
  business: 'company',
  comment: 'note',
  comments: 'note',
  message: 'note',
  remark: 'note',
  remarks: 'note',
  notes: 'note',
  memo: 'note',
  vat: 'tax',
  taxes: 'tax',
  cost: 'amount',
  fee: 'amount',
  charge: 'amount',
  sum: 'amount',
  percentage: 'percent',
  pct: 'percent',
  rate: 'percent',
  reference: 'sku',
  ref: 'sku',
  ean: 'barcode',
  ean13: 'barcode',
  upc: 'barcode',
  gtin: 'barcode',
  at: 'date',
  on: 'date',
  time: 'date',
  timestamp: 'date',
  datetime: 'date',
  dt: 'date',
  ordered: 'order',
  orders: 'order',
  items: 'line',
  item: 'line',
  rows: 'line',
  row: 'line',
  lines: 'line',
  positions: 'line',
  ship: 'shipping',
  shipment: 'shipping',
  delivery: 'shipping',
  freight: 'shipping',
  invoice: 'billing',
  bill: 'billing',
  incl: 'incl',
  inc: 'incl',
  including: 'incl',
  gross: 'incl',
  excl: 'excl',
  ex: 'excl',
  excluding: 'excl',
  net: 'excl',
  no: 'number',
  num: 'number',
  nr: 'number',
  identifier: 'id',
  uid: 'id',
  title: 'name',
  label: 'name',
  street1: 'street',
  street2: 'street2',
  iso2: 'iso',
  currencies: 'currency',
  countries: 'country',
  products: 'product',
  addresses: 'address',
  customers: 'customer',
  price: 'price',
  prices: 'price',
  totals: 'total',
  amounts: 'amount',
  discounts: 'discount',
};

/** Words that carry a second meaning: when a record was created or changed is a date. */
const EXPANSIONS: Record<string, string[]> = {
  created: ['created', 'date'],
  creation: ['created', 'date'],
  add: ['created', 'date'],
  added: ['created', 'date'],
  placed: ['created', 'date'],
  updated: ['updated', 'date'],
  modified: ['updated', 'date'],
  upd: ['updated', 'date'],
  changed: ['updated', 'date'],
  expires: ['expires', 'date'],
  description: ['name'],
};

/** Words that say nothing about which field is meant. */
export const STOP_WORDS = new Set(['entity', 'external', 'data', 'details', 'detail', 'attributes', 'extension', 'info', 'information', 'value', 'the', 'of', 'object', 'fields', 'x', 'money']);

/** Words that qualify more than they name (`country_code`, `unit_price`, `total_tax`): they count for little either way. */
export const WEAK_WORDS = new Set(['code', 'unit', 'amount', 'iso', 'full', 'sub', 'total']);

/** Words of one group exclude each other: a billing field is never the shipping one. */
/** Words that stand in for each other at a discount: the billing contact is the customer when nothing else is. */
export const RELATED: Array<[string, string, number]> = [
  ['customer', 'billing', 0.6],
  ['amount', 'price', 0.8],
];

export const EXCLUSIVE: string[][] = [
  ['billing', 'shipping'],
  ['incl', 'excl'],
  ['created', 'updated', 'expires'],
  ['first', 'last'],
];

/**
 * Qualifiers a target must ask for: a first name is not a name, and a `base` amount is in the shop's base
 * currency, not the order's.
 */
export const UNWANTED_QUALIFIERS = new Set(['first', 'last', 'base', 'updated', 'expires']);

/** `billingAddress.postCode[0]` -> `billing address zip 0`, as canonical words. */
export function tokenize(name: string): string[] {
  const raw = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-zA-Z])(\d)/g, '$1 $2')
    .replace(/(\d)([a-zA-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const words = raw.flatMap((w) => COMPOUNDS[w] ?? [w]);
  const out: string[] = [];
  for (let i = 0; i < words.length; ) {
    const phrase = longestPhrase(words, i);
    if (phrase) {
      out.push(...phrase[1]);
      i += phrase[0].length;
      continue;
    }
    const word = words[i];
    out.push(...(EXPANSIONS[word] ?? [SYNONYMS[word] ?? singular(word)]));
    i++;
  }
  // Indices and leftover digits (`street[0]`, `ean13`) say nothing once phrases have used theirs.
  return [...new Set(out)].filter((w) => !STOP_WORDS.has(w) && !/^\d+$/.test(w));
}

function longestPhrase(words: string[], at: number): [string[], string[]] | undefined {
  let best: [string[], string[]] | undefined;
  for (const entry of PHRASES) {
    const [phrase] = entry;
    if (phrase.length <= (best?.[0].length ?? 0) || at + phrase.length > words.length) continue;
    if (phrase.every((w, k) => words[at + k] === w)) best = entry;
  }
  return best;
}

/** Plural to singular for the regular cases (`addresses` is in the table). */
function singular(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}
