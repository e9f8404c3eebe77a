import { DEAD_LETTER_PREFIX, STREAMS, Subjects } from '@kiln/contracts';
import { SubjectNames } from './subject-names';

/** The apps that connect to NATS; each has its own user. (The artifact service does not connect.) */
export const NATS_ROLES = [
  'gateway',
  'webhook-receiver',
  'scheduler',
  'pod-executor',
  'log-archiver',
] as const;
export type NatsRole = (typeof NATS_ROLES)[number];

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
}

interface RoleNeeds {
  /** Subjects the app stores events on (JetStream publishes are plain publishes). */
  publishes: string[];
  /** Streams the app reads through consumers (durable or ordered) or message gets. */
  consumes: string[];
  /** Subjects the app hears as plain NATS subscriptions (broadcasts). */
  hears?: string[];
}

const DEAD = `${DEAD_LETTER_PREFIX}.>`;

/**
 * What each app does on NATS, read from its code: the gateway and webhook receiver only request
 * runs (the gateway also reads logs); the scheduler alone dispatches steps; executors alone read
 * the dispatch stream; the log archiver only says which logs it stored. Apps with durable consumers
 * also dead-letter poison messages.
 */
const NEEDS: Record<NatsRole, RoleNeeds> = {
  gateway: {
    publishes: [Subjects.RunRequested, Subjects.RunCancel, Subjects.StepDecided],
    consumes: ['KILN_LOGS'],
  },
  'webhook-receiver': {
    publishes: [Subjects.RunRequested],
    consumes: [],
  },
  scheduler: {
    publishes: [
      Subjects.RunRequested,
      Subjects.RunCancel,
      Subjects.RunFinished,
      Subjects.StepDispatched,
      Subjects.DeploymentUpdated,
      DEAD,
    ],
    consumes: ['KILN_EVENTS', 'KILN_HEARTBEATS'],
  },
  'pod-executor': {
    publishes: [
      Subjects.StepStarted,
      Subjects.StepFinished,
      `${Subjects.Logs}.>`,
      Subjects.ExecutorHeartbeat,
      DEAD,
    ],
    consumes: ['KILN_DISPATCH', 'KILN_EVENTS'],
    hears: [Subjects.RunCancel, Subjects.RunFinished],
  },
  'log-archiver': {
    publishes: [Subjects.StepLogArchived, DEAD],
    consumes: ['KILN_EVENTS', 'KILN_LOGS'],
  },
};

/**
 * Where a user's replies arrive. Each user has its own: JetStream delivers pulled messages to the
 * puller's inbox, so a shared `_INBOX.>` would let any user hear every other user's pulls.
 */
export function natsInboxPrefix(user: string): string {
  return `_INBOX.${user}`;
}

/**
 * The subjects one app's NATS user may publish and subscribe to. Every app provisions the streams
 * (info, create, update; never delete or purge) and needs `$JS.API.INFO` and its reply inbox. Reading
 * a stream takes consumer create/info/delete, pulls (`CONSUMER.MSG.NEXT`), acks (`$JS.ACK`) and
 * message gets on that stream only, so no user but the executors' can read KILN_DISPATCH.
 */
export function natsPermissions(role: NatsRole, prefix = ''): NatsPermissions {
  const names = new SubjectNames(prefix);
  const needs = NEEDS[role];
  const streams = STREAMS.map((s) => names.stream(s.name));
  const api = [
    'INFO',
    ...streams.flatMap((s) => [`STREAM.INFO.${s}`, `STREAM.CREATE.${s}`, `STREAM.UPDATE.${s}`]),
    ...needs.consumes.map((name) => names.stream(name)).flatMap(consumeApi),
  ];
  const consumed = needs.consumes.map((name) => `$JS.ACK.${names.stream(name)}.>`);
  return {
    publish: [
      ...needs.publishes.map((s) => names.subject(s)),
      ...api.map((a) => `$JS.API.${a}`),
      ...consumed,
    ],
    subscribe: [`${natsInboxPrefix(role)}.>`, ...(needs.hears ?? []).map((s) => names.subject(s))],
  };
}

function consumeApi(stream: string): string[] {
  return [
    `CONSUMER.CREATE.${stream}`,
    `CONSUMER.CREATE.${stream}.>`,
    `CONSUMER.DURABLE.CREATE.${stream}.>`,
    `CONSUMER.INFO.${stream}.>`,
    `CONSUMER.DELETE.${stream}.>`,
    `CONSUMER.MSG.NEXT.${stream}.>`,
    `STREAM.MSG.GET.${stream}`,
  ];
}

/**
 * nats-server configuration (2.9+) of an account `KILN` with JetStream and one user per role.
 * A password starting with `$` is written as a variable reference, which the server resolves from
 * its environment: the file compose and the chart mount holds no password.
 */
export function natsAccountConfig(passwords: Record<NatsRole, string>, prefix = ''): string {
  const users = NATS_ROLES.map((role) => {
    const { publish, subscribe } = natsPermissions(role, prefix);
    const password = passwords[role].startsWith('$') ? passwords[role] : JSON.stringify(passwords[role]);
    return [
      `      {`,
      `        user: ${JSON.stringify(role)}`,
      `        password: ${password}`,
      `        permissions: {`,
      `          publish: ${JSON.stringify(publish)}`,
      `          subscribe: ${JSON.stringify(subscribe)}`,
      `        }`,
      `      }`,
    ].join('\n');
  });
  return `accounts {\n  KILN {\n    jetstream: enabled\n    users: [\n${users.join('\n')}\n    ]\n  }\n}\n`;
}

/** The environment variable holding a role's password in compose and the chart. */
export function natsPasswordVariable(role: NatsRole): string {
  return `KILN_NATS_${role.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
}
