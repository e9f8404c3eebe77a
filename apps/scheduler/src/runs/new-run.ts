import { RunRequestedEvent } from '@kiln/contracts';
import { Step } from '@kiln/db';
import { PipelineDefinition, topologicalOrder } from '@kiln/definition';
import { LoadedDefinition } from './definition-loader.service';
import { encodeSnapshot } from './definition-snapshot';
import { NewRunRow, NewStepRow } from './run-creation-rows';
import { withRunVariables } from './run-variables';
import { storableText } from './unstorable-value';

export interface RunOrigin {
  fromFork: boolean;
  secretsWithheld?: string;
}

/** What a retried run's step gives the new run that reuses it. */
export type ReusedStep = Pick<Step, 'id' | 'exitCode' | 'logRef' | 'imageDigest' | 'durationMs' | 'startedAt' | 'finishedAt'>;

/** A commit message keeps its lines and tabs; other control characters (NUL, escapes) are dropped. */
function commitText(message: string | undefined): string | null {
  return message === undefined ? null : message.replace(/[^\P{Cc}\n\t]/gu, '');
}

/** The run a request becomes: queued with its definition's snapshot, or failed (at `now`) saying why. */
export function newRunRow(request: RunRequestedEvent, loaded: LoadedDefinition, origin: RunOrigin, now: Date): NewRunRow {
  return {
    id: request.runId,
    projectId: request.projectId,
    pipelineId: request.pipelineId,
    status: loaded.ok ? 'queued' : 'failed',
    trigger: request.trigger,
    triggeredBy: request.triggeredBy,
    event: request.event,
    gitRef: request.gitRef,
    branch: request.branch ?? null,
    tag: request.tag ?? null,
    commitSha: loaded.commitSha,
    commitMessage: commitText(request.commitMessage),
    commitAuthor: storableText(request.commitAuthor) ?? null,
    pullRequestUrl: storableText(request.pullRequestUrl) ?? null,
    definition: loaded.ok ? encodeSnapshot(withRunVariables(loaded.definition, request.variables)) : null,
    error: loaded.ok ? null : loaded.error,
    retryOfId: request.retryOfId ?? null,
    deliveryId: request.deliveryId ?? null,
    fromFork: origin.fromFork,
    secretsWithheld: origin.secretsWithheld ?? null,
    finishedAt: loaded.ok ? null : now,
  };
}

/** The run's steps in topological order: pending, or succeeded as the retried run's step it reuses. */
export function newStepRows(definition: PipelineDefinition, reused: ReadonlyMap<string, ReusedStep>): NewStepRow[] {
  return topologicalOrder(definition.steps).map((step, position) => {
    const previous = reused.get(step.name);
    return {
      name: step.name,
      position,
      image: step.image,
      commands: step.commands,
      dependsOn: step.dependsOn,
      deploy: step.deploy,
      timeoutMs: step.timeoutMs ?? null,
      status: previous ? 'succeeded' : 'pending',
      exitCode: previous?.exitCode ?? null,
      logRef: previous?.logRef ?? null,
      imageDigest: previous?.imageDigest ?? null,
      durationMs: previous?.durationMs ?? null,
      reusedFrom: previous?.id ?? null,
      startedAt: previous?.startedAt ?? null,
      finishedAt: previous?.finishedAt ?? null,
    };
  });
}
