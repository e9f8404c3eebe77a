import { sha256Hex } from '@kiln/crypto';
import { WebhookDelivery } from '@kiln/db';
import { Forge, ForgeEvent, ForgeName, ReceivedDelivery } from '@kiln/forge';
import { Injectable, Logger, RawBodyRequest } from '@nestjs/common';
import { Request, Response } from 'express';
import { DeliveryLedgerService } from '../deliveries/delivery-ledger.service';
import { RunRequestPublisher } from '../deliveries/run-request.publisher';
import { setDeliveryOutcome } from '../http/delivery-timing.middleware';
import { InvalidInputError, UnauthenticatedError } from '@kiln/errors';
import { DeliveryOutcome } from '../metrics/webhook.metrics';
import { ProjectRoutingService, Routing } from '../projects/project-routing.service';
import { TargetProject } from '../projects/webhook-target';
import { WebhookSecretsService } from '../projects/webhook-secrets.service';
import { assertUsableEvent, classifyDelivery, eventNameOf, forgeOfRoute } from '../providers/forge-delivery';
import { RunPlan, RunPlannerService } from '../triggers/run-planner.service';
import { DeliveryAnswer, storedAnswer, unstoredAnswer } from './delivery-answer';
import { readDelivery } from './delivery-body';

/** Which route a delivery came in on: a provider's repository route, or one pipeline's. */
export interface DeliveryRoute {
  provider: string;
  pipelineId?: string;
}

const DELIVERY_ID = /^[\x21-\x7e]{1,200}$/;
const MAX_ATTEMPTS = 3;

/** One delivery as read from the request, before it is routed. */
interface Intake {
  forge: Forge<ForgeName>;
  route: DeliveryRoute;
  delivery: ReceivedDelivery;
  eventName: string;
  deliveryId: string;
}

interface Answered {
  outcome: DeliveryOutcome;
  answer: DeliveryAnswer;
}

/**
 * A delivery from the request to its 202: read the body, find the addressed project, check the
 * signature, map the event, apply trigger filters, claim the delivery id, queue the run requests.
 * Nothing slow happens here (no git): the scheduler does that work after the answer.
 */
@Injectable()
export class DeliveryIntakeService {
  private readonly logger = new Logger(DeliveryIntakeService.name);

  constructor(
    private readonly routing: ProjectRoutingService,
    private readonly secrets: WebhookSecretsService,
    private readonly planner: RunPlannerService,
    private readonly ledger: DeliveryLedgerService,
    private readonly publisher: RunRequestPublisher,
  ) {}

  async receive(route: DeliveryRoute, req: RawBodyRequest<Request>, res: Response): Promise<DeliveryAnswer> {
    const forge = forgeOfRoute(route.provider);
    const delivery = readDelivery(req);
    const intake: Intake = {
      forge,
      route,
      delivery,
      eventName: eventNameOf(forge, delivery),
      deliveryId: this.deliveryIdOf(forge, delivery),
    };
    // Planned from cached routing first; if the routing changed meanwhile the ledger claims
    // nothing and the delivery is planned again from the database. The last try claims regardless.
    for (let attempt = 1; ; attempt++) {
      const answer = await this.attempt(intake, attempt > 1, attempt === MAX_ATTEMPTS);
      if (answer) return answered(res, answer.outcome, answer.answer);
      this.routing.forget();
    }
  }

  private async attempt(intake: Intake, fresh: boolean, last: boolean): Promise<Answered | undefined> {
    const { forge, route, delivery, eventName, deliveryId } = intake;
    const target = await this.verifiedTargets(intake, fresh);
    if (typeof target === 'string') return { outcome: 'ignored', answer: unstoredAnswer(target) };
    const { projects, version } = target;
    const classification = classifyDelivery(forge, eventName, delivery, deliveryId);
    if (classification.kind === 'ignored' && !classification.record) {
      return { outcome: 'ignored', answer: unstoredAnswer(classification.reason) };
    }
    const event = classification.kind === 'event' ? classification.event : undefined;
    const plan = event
      ? this.plan(event, projects)
      : ignoredPlan(classification.kind === 'ignored' ? classification.reason : '');
    const first = plan.runs[0];
    const claimed = await this.ledger.claim(
      {
        provider: forge.name,
        deliveryId,
        event: eventName.slice(0, 200),
        projectId: projects[0].id,
        pipelineId: first?.pipeline.id ?? route.pipelineId ?? null,
        status: plan.status,
        reason: plan.reason,
        runId: first?.runId ?? null,
        bodySha256: sha256Hex(delivery.rawBody),
      },
      last ? null : version,
    );
    if (!claimed) return undefined;
    const { delivery: record, replayed } = claimed;
    if (replayed) {
      // Same body under another delivery id: the first delivery's runs, whose ids derive from its id.
      const first =
        event && record.deliveryId !== deliveryId ? { ...event, deliveryId: record.deliveryId } : event;
      return this.replay(record, first === event ? plan : this.plan(first!, projects), first);
    }
    if (event && plan.runs.length > 0)
      await this.publisher.publish(event, plan.runs, record.id, record.receivedAt);
    this.logger.log(
      {
        provider: forge.name,
        deliveryId: record.id,
        status: plan.status,
        runIds: plan.runs.map((r) => r.runId),
      },
      plan.reason,
    );
    return { outcome: plan.status, answer: storedAnswer(record, false, plan.runs, plan.skipped) };
  }

  /**
   * The addressed projects whose secret signed the delivery, or why none is addressed. A 401
   * from cached routing is checked once more against the database: the secret may have just
   * been changed.
   */
  private async verifiedTargets(intake: Intake, fresh: boolean): Promise<Routing | string> {
    const { forge, route, delivery } = intake;
    const routing = await this.candidates(forge, route, delivery, fresh);
    if (typeof routing === 'string') return routing;
    const projects = await this.secrets.verified(forge, routing.projects, delivery);
    if (projects.length > 0) return { ...routing, projects };
    if (routing.cached) return this.verifiedTargets(intake, true);
    throw new UnauthenticatedError(this.rejection(forge, delivery));
  }

  /**
   * A delivery id (or, within 24 h, a body) seen before gets the first delivery's answer. Its run requests are published
   * again (same run ids, same msg-ids, so nothing doubles): if the first attempt crashed or
   * timed out between storing the delivery and queueing its runs, the retry finishes the job.
   * Pipelines created after the first delivery are left out; they never belonged to it.
   */
  private async replay(
    record: WebhookDelivery,
    plan: RunPlan,
    event: ForgeEvent | undefined,
  ): Promise<Answered> {
    const existed = <T extends { pipeline: { createdAt: Date } }>(items: T[]) =>
      items.filter((item) => item.pipeline.createdAt <= record.receivedAt);
    const runs = record.status === 'accepted' ? existed(plan.runs) : [];
    if (event && runs.length > 0) await this.publisher.publish(event, runs, record.id, record.receivedAt);
    return { outcome: 'replayed', answer: storedAnswer(record, true, runs, existed(plan.skipped)) };
  }

  private plan(event: ForgeEvent, projects: TargetProject[]): RunPlan {
    assertUsableEvent(event);
    return this.planner.plan(
      event,
      projects.flatMap((p) => p.pipelines),
    );
  }

  private async candidates(
    forge: Forge,
    route: DeliveryRoute,
    delivery: ReceivedDelivery,
    fresh: boolean,
  ): Promise<Routing | string> {
    if (route.pipelineId !== undefined) return this.routing.byPipeline(route.pipelineId, fresh);
    const repository = forge.repository(delivery.payload);
    if (!repository) return 'the delivery names no repository';
    // Not stored: anyone can send this, and a stranger must not be able to fill the table.
    const routing = await this.routing.byRepository(repository, fresh);
    return routing.projects.length > 0
      ? routing
      : `no project for repository ${repository.fullName.slice(0, 200)}`;
  }

  private deliveryIdOf(forge: Forge, delivery: ReceivedDelivery): string {
    const given = forge.deliveryId(delivery.headers);
    if (given === undefined) return sha256Hex(delivery.rawBody);
    if (!DELIVERY_ID.test(given)) {
      throw new InvalidInputError('the delivery id header must be 1 to 200 visible ASCII characters');
    }
    return given;
  }

  private rejection(forge: Forge, delivery: ReceivedDelivery): string {
    const header = forge.signatureHeader;
    return delivery.headers[header.toLowerCase()] !== undefined
      ? `the ${header} header does not match the project's webhook secret`
      : `the ${header} header is missing; set the project's webhook secret in the ${forge.name} webhook settings`;
  }
}

function ignoredPlan(reason: string): RunPlan {
  return { status: 'ignored', reason, runs: [], skipped: [] };
}

function answered(res: Response, outcome: DeliveryOutcome, answer: DeliveryAnswer): DeliveryAnswer {
  setDeliveryOutcome(res, outcome);
  return answer;
}
