import { SecretBox } from '@kiln/crypto';
import { OutboundWebhook, Prisma, PrismaService } from '@kiln/db';
import { HostRefusedError, HostUnresolvedError, NetGuard } from '@kiln/net-guard';
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Actor } from '../auth/actor';
import { ProjectAccessService } from '../auth/project-access.service';
import { AuditService } from '../audit/audit.service';
import { InvalidInputError, NotFoundError } from '@kiln/errors';
import { SECRET_BOX } from '../common/secret-box.provider';
import { CreateWebhookDto, UpdateWebhookDto } from './webhooks-out.dto';

/** A project's outbound webhooks (build.success / build.failure); the scheduler delivers them. */
@Injectable()
export class WebhooksOutService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly access: ProjectAccessService,
    private readonly audit: AuditService,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly guard: NetGuard,
  ) {}

  async create(actor: Actor, projectId: string, dto: CreateWebhookDto) {
    await this.access.require(actor, projectId, 'admin');
    await this.checkUrl(dto.url);
    const generated = dto.secret ? undefined : randomBytes(24).toString('base64url');
    const row = await this.prisma.outboundWebhook.create({
      data: {
        projectId,
        url: dto.url,
        events: dto.events,
        active: dto.active ?? true,
        secretEnc: this.box.encrypt(dto.secret ?? generated!, projectId),
      },
    });
    await this.audit.record(actor, {
      action: 'webhook.create',
      targetType: 'webhook',
      targetId: row.id,
      projectId,
      details: { url: dto.url, events: dto.events },
    });
    return { ...presentWebhook(row), ...(generated ? { secret: generated } : {}) };
  }

  async list(actor: Actor, projectId: string) {
    await this.access.require(actor, projectId, 'write');
    const rows = await this.prisma.outboundWebhook.findMany({
      where: { projectId },
      orderBy: { createdAt: 'asc' },
    });
    return { items: rows.map(presentWebhook), next_cursor: null };
  }

  async get(actor: Actor, projectId: string, webhookId: string) {
    await this.access.require(actor, projectId, 'write');
    return presentWebhook(await this.find(projectId, webhookId));
  }

  async update(actor: Actor, projectId: string, webhookId: string, dto: UpdateWebhookDto) {
    await this.access.require(actor, projectId, 'admin');
    await this.find(projectId, webhookId);
    if (dto.url !== undefined) await this.checkUrl(dto.url);
    const data: Prisma.OutboundWebhookUpdateInput = {};
    if (dto.url !== undefined) data.url = dto.url;
    if (dto.events !== undefined) data.events = dto.events;
    if (dto.active !== undefined) data.active = dto.active;
    if (dto.secret !== undefined) data.secretEnc = this.box.encrypt(dto.secret, projectId);
    const row = await this.prisma.outboundWebhook.update({ where: { id: webhookId }, data });
    await this.audit.record(actor, {
      action: 'webhook.update',
      targetType: 'webhook',
      targetId: webhookId,
      projectId,
      details: { changed: Object.keys(dto) },
    });
    return presentWebhook(row);
  }

  async remove(actor: Actor, projectId: string, webhookId: string): Promise<void> {
    await this.access.require(actor, projectId, 'admin');
    await this.find(projectId, webhookId);
    await this.prisma.outboundWebhook.delete({ where: { id: webhookId } });
    await this.audit.record(actor, {
      action: 'webhook.delete',
      targetType: 'webhook',
      targetId: webhookId,
      projectId,
    });
  }

  /**
   * Refuses hosts the SSRF guard refuses. A name that does not resolve now passes: the scheduler
   * vets the host again before every delivery and connects only to the address it vetted.
   */
  private async checkUrl(url: string): Promise<void> {
    try {
      await this.guard.vet(new URL(url).hostname);
    } catch (error) {
      if (error instanceof HostUnresolvedError) return;
      if (!(error instanceof HostRefusedError)) throw error;
      const reason = `url host ${error.message}`;
      throw InvalidInputError.forField('url', reason);
    }
  }

  private async find(projectId: string, webhookId: string): Promise<OutboundWebhook> {
    const row = await this.prisma.outboundWebhook.findFirst({ where: { id: webhookId, projectId } });
    if (!row) throw new NotFoundError(`webhook ${webhookId} not found`);
    return row;
  }
}

function presentWebhook(w: OutboundWebhook) {
  return {
    id: w.id,
    project_id: w.projectId,
    url: w.url,
    events: w.events,
    active: w.active,
    last_status_code: w.lastStatusCode,
    last_error: w.lastError,
    last_sent_at: w.lastSentAt?.toISOString() ?? null,
    created_at: w.createdAt.toISOString(),
  };
}
