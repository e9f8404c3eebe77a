import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DB_OPTIONS, DbOptions } from './db.options';
import { PrismaClient } from './generated/client';
import { migrate } from './migrator';
import { createPgAdapter } from './prisma-client.factory';

/** The Prisma client as a Nest provider: connects on start-up, disconnects on shutdown. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);

  constructor(@Inject(DB_OPTIONS) private readonly options: DbOptions) {
    super({ adapter: createPgAdapter(options.url, options) });
  }

  async onModuleInit(): Promise<void> {
    if (this.options.migrate) {
      const { applied } = await migrate(this.options.url);
      if (applied.length > 0) this.logger.log({ applied }, 'applied database migrations');
    }
    await this.$connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }

  /** Readiness probe: resolves when the database answers a query. */
  async ping(): Promise<void> {
    await this.$queryRaw`SELECT 1`;
  }
}
