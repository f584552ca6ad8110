import type { DeadLetter } from '../store/types';
import type { Masker } from './masking';

/**
 * What the dead-letter endpoints show: a letter's message masked with message paths (`payload.customer.email`),
 * its error and history by field and pattern; any other body (a list) by field and pattern.
 */
export function deadLetterView(masker: Masker): <T>(body: T) => T {
  return <T>(body: T): T => {
    const letter = body as unknown as Partial<DeadLetter> | null;
    if (letter && typeof letter === 'object' && 'message' in letter && 'history' in letter) {
      return { ...body, message: masker.maskValue(letter.message), error: masker.maskValue(letter.error), history: masker.maskValue(letter.history) };
    }
    return masker.maskValue(body);
  };
}
