import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { jetstream, JetStreamClient, jetstreamManager, JetStreamManager } from '@nats-io/jetstream';
import { AuthorizationError, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessagingModuleOptions } from './messaging.options';
import { natsInboxPrefix } from './nats-permissions';
import { settledWithin } from './settled-within';
import { SubjectNames } from './subject-names';

/** Budget for one JetStream API request; publish retries within its own, longer budget. */
const API_TIMEOUT_MS = 5_000;
const DRAIN_TIMEOUT_MS = 5_000;

/**
 * One NATS connection per application, with its JetStream client and manager. It reconnects
 * forever: a server restart pauses publishing and consuming, it never ends them.
 */
export class MessagingConnection implements OnApplicationShutdown {
  private static readonly logger = new Logger('Messaging');
  private connected = true;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly names: SubjectNames,
    readonly options: MessagingModuleOptions,
  ) {
    void this.watchStatus();
  }

  static async open(options: MessagingModuleOptions): Promise<MessagingConnection> {
    const names = new SubjectNames(options.prefix);
    const nc = await MessagingConnection.connectWithRetry(options);
    try {
      const jsm = await jetstreamManager(nc, { timeout: API_TIMEOUT_MS });
      const js = jetstream(nc, { timeout: API_TIMEOUT_MS });
      return new MessagingConnection(nc, js, jsm, names, options);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** The server may still be starting next to us (embedded mode, a fresh pod): keep trying a while. */
  private static async connectWithRetry(options: MessagingModuleOptions): Promise<NatsConnection> {
    const deadline = Date.now() + (options.connectTimeoutMs ?? 30_000);
    const { servers, user, pass } = natsCredentials(options);
    for (let attempt = 1; ; attempt++) {
      try {
        return await connect({
          servers,
          // A user's replies (JetStream pulls included) arrive under its own inbox prefix, the only one it may hear.
          ...(user !== undefined ? { user, pass, inboxPrefix: natsInboxPrefix(user) } : {}),
          name: options.name,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          timeout: API_TIMEOUT_MS,
          // Each request would otherwise capture a stack for errors it almost never raises:
          // measured at about a tenth of the webhook receiver's CPU per delivery.
          noAsyncTraces: true,
        });
      } catch (err) {
        // Retrying cannot fix a refused credential: stop at once, naming where it comes from.
        if (err instanceof AuthorizationError) {
          const who = user === undefined ? 'no credentials' : `user "${user}"`;
          throw new Error(
            `NATS refused ${who} (${err.message}): set NATS_URL to nats://user:password@host:port ` +
              'or KILN_NATS_USER and KILN_NATS_PASSWORD',
            { cause: err },
          );
        }
        if (Date.now() >= deadline) throw err;
        const error = err instanceof Error ? err.message : String(err);
        MessagingConnection.logger.warn(
          { url: withoutCredentials(options.url), attempt, error },
          'NATS not reachable yet, retrying',
        );
        await sleep(Math.min(250 * attempt, 2_000));
      }
    }
  }

  isConnected(): boolean {
    return this.connected && !this.nc.isClosed() && !this.nc.isDraining();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    // Draining flushes pending acks and publishes; closing stops reconnect attempts if the server is gone.
    const drained = await settledWithin(this.nc.drain(), DRAIN_TIMEOUT_MS);
    if (!drained || !this.nc.isClosed()) await this.nc.close();
  }

  private async watchStatus(): Promise<void> {
    const logger = MessagingConnection.logger;
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        logger.warn({ server: status.server }, 'disconnected from NATS');
      } else if (status.type === 'reconnect') {
        this.connected = true;
        logger.log({ server: status.server }, 'reconnected to NATS');
      } else if (status.type === 'error') {
        logger.error({ error: status.error.message }, 'NATS connection error');
      }
    }
  }
}

function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//');
}

/**
 * The server list without userinfo (the client does not read it from URLs) and the credentials:
 * `user`/`pass` when given, else those of the first URL that has some.
 */
export function natsCredentials(options: Pick<MessagingModuleOptions, 'url' | 'user' | 'pass'>): {
  servers: string[];
  user?: string;
  pass?: string;
} {
  const urls = options.url.split(',').map((s) => s.trim());
  const servers = urls.map(withoutCredentials);
  if (options.user) return { servers, user: options.user, pass: options.pass ?? '' };
  const withUser = urls.map((u) => /^[a-z]+:\/\/([^@/]+)@/.exec(u)?.[1]).find(Boolean);
  if (!withUser) return { servers };
  const [user, pass = ''] = withUser.split(':');
  return { servers, user: decodeURIComponent(user), pass: decodeURIComponent(pass) };
}
