import { Prisma } from '@kiln/db';
import { ArtifactDefinition, PipelineDefinition, StepDefinition, TriggerDefinition } from '@kiln/definition';

/**
 * The definition a run executes is stored with the run (`runs.definition`), so its retries and
 * its later steps use what it started with. The snapshot is the pipeline model plus `version`;
 * snapshots written before the version existed (version 0) have the same shape without it.
 * A model change bumps the version and teaches `decodeSnapshot` the old one, so retries of old
 * runs keep working.
 */
export const SNAPSHOT_VERSION = 1;

export class UnreadableSnapshotError extends Error {
  constructor(reason: string) {
    super(`unreadable run definition snapshot: ${reason}`);
  }
}

export function encodeSnapshot(definition: PipelineDefinition): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify({ ...definition, version: SNAPSHOT_VERSION })) as Prisma.InputJsonValue;
}

/** The pipeline a snapshot holds (null: the run never had a valid definition). */
export function decodeSnapshot(json: unknown): PipelineDefinition | null {
  if (json === null) return null;
  if (!isRecord(json)) throw new UnreadableSnapshotError('not an object');
  const { version = 0, ...body }: Record<string, unknown> = json;
  if (version !== 0 && version !== SNAPSHOT_VERSION) throw new UnreadableSnapshotError(`unknown version ${JSON.stringify(version)}`);
  if (!Array.isArray(body.steps) || !body.steps.every(isStep)) throw new UnreadableSnapshotError('steps must be named objects');
  return {
    ...body,
    steps: body.steps.map(stepOf),
    artifacts: (Array.isArray(body.artifacts) ? body.artifacts : []) as ArtifactDefinition[],
    on: (isRecord(body.on) ? body.on : {}) as TriggerDefinition,
    failFast: body.failFast === true,
  };
}

function stepOf(step: Record<string, unknown>): StepDefinition {
  return {
    ...step,
    name: step.name as string,
    image: typeof step.image === 'string' ? step.image : '',
    commands: (Array.isArray(step.commands) ? step.commands : []) as string[],
    environment: (isRecord(step.environment) ? step.environment : {}) as Record<string, string>,
    dependsOn: (Array.isArray(step.dependsOn) ? step.dependsOn : []) as string[],
    deploy: step.deploy === true,
  };
}

function isStep(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && typeof value.name === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
