/**
 * Dead-letter bodies encrypted at rest (AES-256-GCM, node:crypto): the store keeps the message, error and history
 * of a letter as one sealed value, and every read through this store opens it again, so a replay sends the
 * original. Ids, status, times and the filter columns stay in clear so the list and its filters still work.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { storeFailure } from '../store/store-errors';
import type { DeadLetter, MiddlewareStore } from '../store/types';

export const SEALED_FIELD = '__sealed';
const ALGORITHM = 'aes-256-gcm';
const SALT = 'node-red-contrib-odoo-middleware/dead-letters';

interface Sealed {
  v: 1;
  alg: typeof ALGORITHM;
  iv: string;
  tag: string;
  data: string;
}

/** 32 bytes as 64 hex characters or base64; anything else is a passphrase stretched with scrypt. */
export function deadLetterKey(secret: string): Buffer {
  const trimmed = secret.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  const base64 = /^[A-Za-z0-9+/]{43}=?$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
  if (base64?.length === 32) return base64;
  return scryptSync(trimmed, SALT, 32);
}

export function seal(value: unknown, key: Buffer, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { v: 1, alg: ALGORITHM, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function open(sealed: Sealed, key: Buffer, aad: string): unknown {
  const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return JSON.parse(Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8'));
}

function isSealed(message: Record<string, unknown>): boolean {
  const sealed = message[SEALED_FIELD] as Partial<Sealed> | undefined;
  return typeof sealed === 'object' && sealed !== null && sealed.alg === ALGORITHM;
}

/** What the store says about dead-letter encryption (shown on the store status endpoint). */
export type DeadLetterEncryption = 'aes-256-gcm' | 'none';

export interface EncryptingStore extends MiddlewareStore {
  readonly deadLetterEncryption: DeadLetterEncryption;
}

/** The letter as stored: message, error and history sealed together (the letter id binds them to it). */
export function sealLetter(letter: DeadLetter, key: Buffer): DeadLetter {
  const sealed = seal({ message: letter.message, error: letter.error, history: letter.history }, key, letter.id);
  return { ...letter, message: { [SEALED_FIELD]: sealed }, error: {}, history: [] };
}

/** The letter as written; one stored before encryption was switched on reads as it is. */
export function openLetter(letter: DeadLetter, key: Buffer): DeadLetter {
  if (!isSealed(letter.message)) return letter;
  try {
    const body = open(letter.message[SEALED_FIELD] as Sealed, key, letter.id) as Pick<DeadLetter, 'message' | 'error' | 'history'>;
    return { ...letter, message: body.message, error: body.error, history: body.history };
  } catch (err) {
    throw storeFailure(`dead letter ${letter.id} could not be decrypted with the configured key (${err instanceof Error ? err.message : String(err)}): was the key changed?`, { backend: 'encryption' });
  }
}

function listedLetter(letter: DeadLetter, key: Buffer): DeadLetter {
  try {
    return openLetter(letter, key);
  } catch (err) {
    return { ...letter, error: { code: 'MW_STORE_FAILURE', message: err instanceof Error ? err.message : String(err) } };
  }
}

/** The store with dead-letter bodies encrypted under `key`; without a key, the store as it is. */
export function withDeadLetterEncryption(store: MiddlewareStore, key: Buffer | undefined): EncryptingStore {
  if (!key) return Object.assign(Object.create(store) as MiddlewareStore, { deadLetterEncryption: 'none' as const }) as EncryptingStore;
  const encrypting: EncryptingStore = Object.assign(Object.create(store) as MiddlewareStore, {
    deadLetterEncryption: 'aes-256-gcm' as const,
    addDeadLetter: (letter: DeadLetter) => store.addDeadLetter(sealLetter(letter, key)),
    getDeadLetter: async (id: string) => {
      const letter = await store.getDeadLetter(id);
      return letter ? openLetter(letter, key) : undefined;
    },
    listDeadLetters: async (filter: Parameters<MiddlewareStore['listDeadLetters']>[0]) => {
      const page = await store.listDeadLetters(filter);
      // One letter sealed under an older key must not hide the others: it is listed with the reason instead.
      return { total: page.total, items: page.items.map((letter) => listedLetter(letter, key)) };
    },
  });
  return encrypting;
}
