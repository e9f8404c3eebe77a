import { ParseResult } from '../index';

/** Every error about a CircleCI feature Kiln cannot offer says so in these words. */
export const NO_EQUIVALENT = /ha(s|ve) no Kiln equivalent/;

export type CorpusOutcome = 'valid' | 'no-equivalent' | 'mappable';

/** Valid; invalid only for features with no Kiln equivalent; or invalid for something Kiln could map. */
export function outcomeOf(result: ParseResult): CorpusOutcome {
  if (result.ok) return 'valid';
  return result.errors.every((error) => NO_EQUIVALENT.test(error.message)) ? 'no-equivalent' : 'mappable';
}
