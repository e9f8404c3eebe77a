import { STREAMS, StreamDefinition } from '@kiln/contracts';

const PREFIX_PATTERN = /^([A-Za-z0-9_-]+\.)*$/;
const SUFFIX_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Maps the contract's unprefixed names to what the server sees. Subjects get the prefix as
 * is; stream and durable names cannot contain dots, so they get it with `_` for `.`.
 */
export class SubjectNames {
  readonly prefix: string;
  private readonly namePrefix: string;

  constructor(prefix = '') {
    this.prefix = prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
    if (!PREFIX_PATTERN.test(this.prefix)) {
      throw new Error(`invalid messaging prefix "${prefix}": use letters, digits, "-" and "_" between dots`);
    }
    this.namePrefix = this.prefix.replace(/\./g, '_');
  }

  subject(subject: string): string {
    return `${this.prefix}${subject}`;
  }

  /** The contract subject of a message the server delivered (strips the prefix). */
  unprefix(subject: string): string {
    return subject.startsWith(this.prefix) ? subject.slice(this.prefix.length) : subject;
  }

  stream(name: string): string {
    return `${this.namePrefix}${name}`;
  }

  durable(name: string): string {
    return `${this.namePrefix}${name}`;
  }
}

/** Appends suffix tokens (`kiln.logs` + `run.step`), refusing empty tokens and wildcards. */
export function withSuffix(subject: string, suffix?: string): string {
  if (suffix === undefined) return subject;
  if (!SUFFIX_PATTERN.test(suffix)) throw new Error(`invalid subject suffix "${suffix}"`);
  return `${subject}.${suffix}`;
}

export interface SubjectRoute {
  stream: StreamDefinition;
  /** The subject to filter or subscribe on: the subject itself, or `<subject>.>` for suffixed ones. */
  filter: string;
}

/**
 * Where a contract subject lives. Subjects that only exist with suffix tokens (`kiln.logs`)
 * are stored as `kiln.logs.>`, so consumers and subscribers use that wildcard.
 */
export function routeOf(subject: string): SubjectRoute {
  for (const stream of STREAMS) {
    if (stream.subjects.includes(subject)) return { stream, filter: subject };
    if (stream.subjects.includes(`${subject}.>`)) return { stream, filter: `${subject}.>` };
  }
  throw new Error(`no stream in STREAMS stores ${subject}`);
}

/** The stream storing a full subject (suffix tokens included). */
export function streamStoring(subject: string): StreamDefinition {
  const stream = STREAMS.find((s) => s.subjects.some((pattern) => subjectMatches(pattern, subject)));
  if (!stream) throw new Error(`no stream in STREAMS stores ${subject}`);
  return stream;
}

/** NATS subject matching: `*` matches one token, a trailing `>` one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i++) {
    if (want[i] === '>') return have.length > i;
    if (i >= have.length || (want[i] !== '*' && want[i] !== have[i])) return false;
  }
  return want.length === have.length;
}
