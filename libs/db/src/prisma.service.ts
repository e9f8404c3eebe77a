import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { DB_OPTIONS, DbOptions } from './db.options';
import { PrismaClient } from './generated/client';
import { migrate } from './migrator';

/**
 * The Prisma client as a Nest provider: connects on start-up, disconnects on shutdown.
 * Its connection pool is also `pool`, for the few hot paths where one hand-written statement
 * through pg beats Prisma's per-call query compilation and result mapping.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  readonly pool: Pool;

  constructor(@Inject(DB_OPTIONS) private readonly options: DbOptions) {
    // TCP keepalive: a database host that vanished without closing its connections (a crashed VM,
    // a failover behind a virtual IP) fails their queries instead of leaving them waiting forever.
    const pool = new Pool({
      connectionString: options.url,
      max: options.poolMax,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
    // Server-side timeouts keep a runaway statement, or a transaction its client stopped driving,
    // from holding a connection and its locks: PostgreSQL ends them and says why. Set on each new
    // connection before its first query (pg queues them in order), not as startup parameters,
    // which PgBouncer refuses unless told to ignore them.
    const timeout = options.statementTimeoutMs;
    if (timeout) {
      pool.on('connect', (client) => {
        client
          .query(`SET statement_timeout = ${timeout}; SET idle_in_transaction_session_timeout = ${timeout}`)
          .catch((error: Error) =>
            this.logger.warn(
              { error: error.message },
              'the statement timeout could not be set on a connection',
            ),
          );
      });
    }
    // A connection that breaks while idle is dropped by the pool; without a listener it would crash the app.
    pool.on('error', (error) =>
      this.logger.warn({ error: error.message }, 'an idle database connection failed'),
    );
  }

  async onModuleInit(): Promise<void> {
    if (this.options.migrate) {
      const { applied } = await migrate(this.options.url);
      if (applied.length > 0) this.logger.log({ applied }, 'applied database migrations');
    }
    // Not `$connect()`: it loads Prisma's WebAssembly query compiler (~30 MiB) at once, which
    // Prisma otherwise does on the first query that needs it, so an app whose paths use only
    // `pool` never loads it. A database that does not answer still stops the start here.
    await this.pool.query('SELECT 1');
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
    await this.pool.end();
  }

  /**
   * Readiness probe: resolves when the database answers a query. Through the pool Prisma uses,
   * not `$queryRaw`: that would load Prisma's WebAssembly query compiler (tens of MiB) into apps
   * whose own paths never need it, such as the webhook receiver (bench/README.md, app-rss).
   */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}
