import { IncomingHttpHeaders } from 'node:http';
import { MalformedPayloadError } from './forge-event';

/** A decoded JSON object from an untrusted body: every field is read through the helpers below. */
export type JsonObject = Record<string, unknown>;

export function objectAt(value: unknown, ...path: string[]): JsonObject | undefined {
  let current: unknown = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return isObject(current) ? current : undefined;
}

/** A non-empty string at `path`, or undefined. */
export function stringAt(value: unknown, ...path: string[]): string | undefined {
  const parent = objectAt(value, ...path.slice(0, -1));
  const field = parent?.[path[path.length - 1]];
  return typeof field === 'string' && field !== '' ? field : undefined;
}

export function numberAt(value: unknown, ...path: string[]): number | undefined {
  const parent = objectAt(value, ...path.slice(0, -1));
  const field = parent?.[path[path.length - 1]];
  return typeof field === 'number' && Number.isFinite(field) ? field : undefined;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One header's value (the first, when a client repeated it). */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

const ZERO_SHA = /^0+$/;

/** Providers report a deleted ref as a push whose new commit is all zeros. */
export function isZeroSha(sha: string | undefined): boolean {
  return sha === undefined || ZERO_SHA.test(sha);
}

/** A full ref split into what it names: `refs/heads/x` is branch x, `refs/tags/v1` is tag v1. */
export function refTarget(ref: string): { branch: string } | { tag: string } | undefined {
  if (ref.startsWith('refs/heads/') && ref.length > 'refs/heads/'.length) return { branch: ref.slice(11) };
  if (ref.startsWith('refs/tags/') && ref.length > 'refs/tags/'.length) return { tag: ref.slice(10) };
  return undefined;
}

/** A field the event cannot be understood without; a signed payload can still be broken. */
export function requiredField<T>(value: T | undefined, eventName: string, field: string): T {
  if (value === undefined) throw new MalformedPayloadError(`the ${eventName} payload has no "${field}"`);
  return value;
}

/** `branch "main"`, `tag "v1"`, or the ref itself: how answers name what was pushed. */
export function describeRef(ref: string): string {
  const target = refTarget(ref);
  if (!target) return ref;
  return 'branch' in target ? `branch "${target.branch}"` : `tag "${target.tag}"`;
}
