import { NormalizedWebhookEvent } from '@kiln/contracts';
import { sha256Hex } from '@kiln/crypto';
import { WebhookDelivery } from '@kiln/db';
import { Injectable, Logger, RawBodyRequest } from '@nestjs/common';
import { Request, Response } from 'express';
import { DeliveryLedgerService } from '../deliveries/delivery-ledger.service';
import { RunRequestPublisher } from '../deliveries/run-request.publisher';
import { setDeliveryOutcome } from '../http/delivery-timing.middleware';
import { MalformedDeliveryError, SignatureRejectedError } from '../http/webhook.errors';
import { DeliveryOutcome } from '../metrics/webhook.metrics';
import { ProjectRoutingService } from '../projects/project-routing.service';
import { TargetProject } from '../projects/webhook-target';
import { WebhookSecretsService } from '../projects/webhook-secrets.service';
import { assertUsableEvent, ReceivedDelivery, WebhookProviderAdapter } from '../providers/webhook-provider';
import { WebhookProviders } from '../providers/webhook-providers';
import { RunPlan, RunPlannerService } from '../triggers/run-planner.service';
import { DeliveryAnswer, storedAnswer, unstoredAnswer } from './delivery-answer';
import { readDelivery } from './delivery-body';

/** Which route a delivery came in on: a provider's repository route, or one pipeline's. */
export interface DeliveryRoute {
  provider: string;
  pipelineId?: string;
}

const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * A delivery from the request to its 202: read the body, find the addressed project, check the
 * signature, map the event, apply trigger filters, claim the delivery id, queue the run requests.
 * Nothing slow happens here (no git): the scheduler does that work after the answer.
 */
@Injectable()
export class DeliveryIntakeService {
  private readonly logger = new Logger(DeliveryIntakeService.name);

  constructor(
    private readonly providers: WebhookProviders,
    private readonly routing: ProjectRoutingService,
    private readonly secrets: WebhookSecretsService,
    private readonly planner: RunPlannerService,
    private readonly ledger: DeliveryLedgerService,
    private readonly publisher: RunRequestPublisher,
  ) {}

  async receive(route: DeliveryRoute, req: RawBodyRequest<Request>, res: Response): Promise<DeliveryAnswer> {
    const adapter = this.providers.get(route.provider);
    const delivery = readDelivery(req);
    const eventName = adapter.eventName(delivery.headers);
    const deliveryId = this.deliveryIdOf(adapter, delivery);
    const candidates = await this.candidates(adapter, route, delivery);
    if (typeof candidates === 'string') return answered(res, 'ignored', unstoredAnswer(candidates));
    const projects = await this.secrets.verified(adapter, candidates, delivery);
    if (projects.length === 0) throw new SignatureRejectedError(this.rejection(adapter, delivery));
    const classification = adapter.classify(eventName, delivery.payload, deliveryId);
    if (classification.kind === 'ignored' && !classification.record) {
      return answered(res, 'ignored', unstoredAnswer(classification.reason));
    }
    const event = classification.kind === 'event' ? classification.event : undefined;
    const plan = event ? this.plan(event, projects) : ignoredPlan(classification.kind === 'ignored' ? classification.reason : '');
    const first = plan.runs[0];
    const { delivery: record, replayed } = await this.ledger.claim({
      provider: adapter.name,
      deliveryId,
      event: eventName.slice(0, 200),
      projectId: projects[0].id,
      pipelineId: first?.pipeline.id ?? route.pipelineId ?? null,
      status: plan.status,
      reason: plan.reason,
      runId: first?.runId ?? null,
      bodySha256: sha256Hex(delivery.rawBody),
    });
    if (replayed) return this.replay(res, record, plan, event);
    if (event && plan.runs.length > 0) await this.publisher.publish(event, plan.runs, record.id, record.receivedAt);
    this.logger.log(
      { provider: adapter.name, deliveryId: record.id, status: plan.status, runIds: plan.runs.map((r) => r.runId) },
      plan.reason,
    );
    return answered(res, plan.status, storedAnswer(record, false, plan.runs, plan.skipped));
  }

  /**
   * A delivery id seen before gets the first delivery's answer. Its run requests are published
   * again (same run ids, same msg-ids, so nothing doubles): if the first attempt crashed or
   * timed out between storing the delivery and queueing its runs, the retry finishes the job.
   * Pipelines created after the first delivery are left out; they never belonged to it.
   */
  private async replay(
    res: Response,
    record: WebhookDelivery,
    plan: RunPlan,
    event: NormalizedWebhookEvent | undefined,
  ): Promise<DeliveryAnswer> {
    const existed = <T extends { pipeline: { createdAt: Date } }>(items: T[]) =>
      items.filter((item) => item.pipeline.createdAt <= record.receivedAt);
    const runs = record.status === 'accepted' ? existed(plan.runs) : [];
    if (event && runs.length > 0) await this.publisher.publish(event, runs, record.id, record.receivedAt);
    return answered(res, 'replayed', storedAnswer(record, true, runs, existed(plan.skipped)));
  }

  private plan(event: NormalizedWebhookEvent, projects: TargetProject[]): RunPlan {
    assertUsableEvent(event);
    return this.planner.plan(event, projects.flatMap((p) => p.pipelines));
  }

  private async candidates(
    adapter: WebhookProviderAdapter,
    route: DeliveryRoute,
    delivery: ReceivedDelivery,
  ): Promise<TargetProject[] | string> {
    if (route.pipelineId !== undefined) return [await this.routing.byPipeline(route.pipelineId)];
    const repository = adapter.repository(delivery.payload);
    if (!repository) return 'the delivery names no repository';
    // Not stored: anyone can send this, and a stranger must not be able to fill the table.
    const projects = await this.routing.byRepository(repository);
    return projects.length > 0 ? projects : `no project for repository ${repository.fullName.slice(0, 200)}`;
  }

  private deliveryIdOf(adapter: WebhookProviderAdapter, delivery: ReceivedDelivery): string {
    const given = adapter.deliveryId(delivery.headers);
    if (given === undefined) return sha256Hex(delivery.rawBody);
    if (!DELIVERY_ID.test(given)) {
      throw new MalformedDeliveryError('the delivery id header must be 1 to 200 visible ASCII characters');
    }
    return given;
  }

  private rejection(adapter: WebhookProviderAdapter, delivery: ReceivedDelivery): string {
    const header = adapter.signatureHeader;
    return delivery.headers[header.toLowerCase()] !== undefined
      ? `the ${header} header does not match the project's webhook secret`
      : `the ${header} header is missing; set the project's webhook secret in the ${adapter.name} webhook settings`;
  }
}

function ignoredPlan(reason: string): RunPlan {
  return { status: 'ignored', reason, runs: [], skipped: [] };
}

function answered(res: Response, outcome: DeliveryOutcome, answer: DeliveryAnswer): DeliveryAnswer {
  setDeliveryOutcome(res, outcome);
  return answer;
}
