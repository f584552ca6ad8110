import { fromHttpResponse, protocolError, type CallTarget } from './classify';
import type { CallOptions } from './types';
import { mergeContext, send, traceHeaders, type Wire } from './wire';

export interface Json2Settings {
  apiKey: string;
  database?: string;
}

/** Odoo 19's `POST /json/2/<model>/<method>`: named arguments in, the bare result out, real HTTP error statuses. */
export class Json2Protocol {
  constructor(
    private readonly wire: Wire,
    private readonly settings: Json2Settings,
  ) {}

  async call(model: string, method: string, args: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    const target: CallTarget = { model, method };
    const { context: argsContext, ...named } = args;
    const context = mergeContext(argsContext, options);
    const headers: Record<string, string> = {
      Authorization: `bearer ${this.settings.apiKey}`,
      ...traceHeaders(options),
    };
    if (this.settings.database) headers['X-Odoo-Database'] = this.settings.database;
    const response = await send(
      this.wire,
      {
        method: 'POST',
        path: `/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`,
        headers,
        body: context ? { ...named, context } : named,
      },
      target,
    );
    if (response.status < 200 || response.status >= 300) throw fromHttpResponse(response, target, this.wire.now());
    try {
      return JSON.parse(response.body) as unknown;
    } catch {
      throw protocolError(target, response.status, response.body);
    }
  }
}
