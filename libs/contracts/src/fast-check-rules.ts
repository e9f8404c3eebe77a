// Hand-written equivalents of the class-validator rules the fast checks need, never looser.

// class-validator's IsUUID() (validator.js, version "all"): versions 1-8, RFC variant, nil and max.
export const UUID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$/i;

export function isInt(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

export function isUuid(value: unknown): boolean {
  return typeof value === 'string' && UUID.test(value);
}

/** MaxLength counts surrogate pairs as one character; `length` counts them as two: stricter. */
export function isShortString(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length <= max;
}
