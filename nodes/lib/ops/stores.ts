/**
 * The middleware-store config nodes of the runtime, as the operations endpoints see them: which backend, whether
 * dead letters are encrypted, and the audit log each one keeps.
 */
import type { AuditLog } from './audit/types';
import type { DeadLetterEncryption } from './dlq-crypto';

export interface OpsStore {
  id: string;
  name: string;
  backend: 'sqlite' | 'redis';
  deadLetterEncryption: DeadLetterEncryption;
  /** Opens the audit log on first use. */
  auditLog(): AuditLog;
}

export class OpsStoreRegistry {
  private readonly stores = new Map<string, OpsStore>();

  register(store: OpsStore): void {
    this.stores.set(store.id, store);
  }

  /** Only the registration given is removed, so a redeployed node that registered first is kept. */
  unregister(store: OpsStore): void {
    if (this.stores.get(store.id) === store) this.stores.delete(store.id);
  }

  get(id: string): OpsStore | undefined {
    return this.stores.get(id);
  }

  all(): OpsStore[] {
    return [...this.stores.values()];
  }
}

export const opsStores = new OpsStoreRegistry();
