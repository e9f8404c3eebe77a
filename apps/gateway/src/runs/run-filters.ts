import { Prisma, RunStatus, TriggerType } from '@kiln/db';
import { RunsQuery } from './runs.dto';

/** The list filters of both run listings as a Prisma `where`. */
export function runFilters(query: RunsQuery): Prisma.RunWhereInput {
  const and: Prisma.RunWhereInput[] = [];
  if (query.status) and.push({ status: { in: query.status as RunStatus[] } });
  if (query.trigger) and.push({ trigger: { in: query.trigger as TriggerType[] } });
  if (query.branch) and.push({ branch: query.branch });
  if (query.ref) and.push({ OR: [{ gitRef: query.ref }, { branch: query.ref }, { tag: query.ref }] });
  if (query.pipeline_id) and.push({ pipelineId: query.pipeline_id });
  if (query.pipeline) and.push({ pipeline: { name: query.pipeline } });
  if (query.created_from) and.push({ createdAt: { gte: new Date(query.created_from) } });
  if (query.created_to) and.push({ createdAt: { lt: new Date(query.created_to) } });
  return and.length > 0 ? { AND: and } : {};
}
