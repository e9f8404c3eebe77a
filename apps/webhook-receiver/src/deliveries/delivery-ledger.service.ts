import { PrismaService, WebhookDelivery } from '@kiln/db';
import { Injectable } from '@nestjs/common';

export type NewDelivery = Omit<WebhookDelivery, 'id' | 'receivedAt'>;

/** Which delivery claimed the `(provider, delivery_id)` key: this one, or an earlier one (a replay). */
export interface ClaimedDelivery {
  delivery: WebhookDelivery;
  replayed: boolean;
}

/**
 * The `webhook_deliveries` table as the arbiter of "first delivery wins": its unique
 * `(provider, delivery_id)` key decides between replicas and across restarts, never memory.
 */
@Injectable()
export class DeliveryLedgerService {
  constructor(private readonly prisma: PrismaService) {}

  async claim(entry: NewDelivery): Promise<ClaimedDelivery> {
    // INSERT … ON CONFLICT DO NOTHING RETURNING: a replay costs no error, only an empty answer.
    const [inserted] = await this.prisma.webhookDelivery.createManyAndReturn({ data: [entry], skipDuplicates: true });
    if (inserted) return { delivery: inserted, replayed: false };
    // The unique index made this insert wait for the winner's commit, so its row is visible now.
    const existing = await this.prisma.webhookDelivery.findUniqueOrThrow({
      where: { provider_deliveryId: { provider: entry.provider, deliveryId: entry.deliveryId } },
    });
    return { delivery: existing, replayed: true };
  }
}
