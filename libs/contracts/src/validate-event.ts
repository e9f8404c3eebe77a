import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EVENT_CLASSES, EventMap, EventSubject } from './event-map';
import { checkedLogChunk } from './log-chunk.fast-check';
import { checkedRunRequest } from './run-requested.fast-check';
import { Subjects } from './subjects';

export class InvalidEventError extends Error {
  constructor(
    readonly subject: string,
    readonly problems: string[],
  ) {
    super(`invalid ${subject} payload: ${problems.join('; ')}`);
    this.name = 'InvalidEventError';
  }
}

/** Turns a decoded JSON payload into its event class, or throws InvalidEventError naming each problem. */
export function validateEvent<S extends EventSubject>(subject: S, data: unknown): EventMap[S] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidEventError(subject, ['payload is not a JSON object']);
  }
  if (subject === Subjects.Logs) {
    const chunk = checkedLogChunk(data);
    if (chunk) return chunk as EventMap[S];
  }
  if (subject === Subjects.RunRequested) {
    const request = checkedRunRequest(data);
    if (request) return request as EventMap[S];
  }
  const instance = plainToInstance(EVENT_CLASSES[subject], data) as EventMap[S];
  const errors = validateSync(instance as object, { forbidUnknownValues: true });
  if (errors.length > 0) {
    const problems = errors.flatMap((e) => flatten(e.property, e));
    throw new InvalidEventError(subject, problems);
  }
  return instance;
}

interface NestedError {
  constraints?: Record<string, string>;
  children?: { property: string; constraints?: Record<string, string>; children?: NestedError['children'] }[];
}

function flatten(path: string, error: NestedError): string[] {
  const own = Object.values(error.constraints ?? {}).map((m) => `${path}: ${m}`);
  const nested = (error.children ?? []).flatMap((c) => flatten(`${path}.${c.property}`, c));
  return [...own, ...nested];
}
