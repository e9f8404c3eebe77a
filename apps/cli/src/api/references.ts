import { ServerError, UsageError } from '../errors';
import { ApiClient } from './api-client';
import { isUuid, Pipeline, Project, Run, User } from '@kiln/api-wire';

export { isUuid };

/** `<project>/<pipeline>`, or `<pipeline>` with `--project`. */
export function splitPipelineRef(ref: string, projectFlag?: string): { project: string; pipeline: string } {
  const slash = ref.indexOf('/');
  if (slash > 0) return { project: ref.slice(0, slash), pipeline: ref.slice(slash + 1) };
  if (!projectFlag)
    throw new UsageError(`"${ref}" names no project: write <project>/${ref} or add --project`);
  return { project: projectFlag, pipeline: ref };
}

export interface RunRef {
  project?: string;
  number?: number;
  id?: string;
}

/** A run: its id, `<project>/<number>`, `<project>#<number>`, or `<number>` / `#<number>` with --project. */
export function parseRunRef(ref: string, projectFlag?: string): RunRef {
  const match = /^(?:(.+?)[/#])?#?(\d+|[0-9a-f-]{36})$/i.exec(ref.trim());
  if (!match) throw new UsageError(`"${ref}" is not a run (expected a run id or <project>/<number>)`);
  const project = match[1] ?? projectFlag;
  const value = match[2];
  if (isUuid(value)) return { project, id: value };
  if (!/^\d+$/.test(value)) throw new UsageError(`"${ref}" is not a run id or number`);
  if (!project)
    throw new UsageError(`run number ${value} needs a project: write <project>/${value} or add --project`);
  return { project, number: Number(value) };
}

export async function resolveProject(client: ApiClient, ref: string): Promise<Project> {
  if (isUuid(ref)) return client.get<Project>(`/api/projects/${ref}`);
  const projects = await client.all<Project>('/api/projects');
  const found = projects.find((p) => p.name === ref);
  if (!found) throw new ServerError(`project "${ref}" not found (or not visible to this token)`, 404);
  return found;
}

export async function resolvePipeline(client: ApiClient, project: Project, ref: string): Promise<Pipeline> {
  if (isUuid(ref)) return client.get<Pipeline>(`/api/projects/${project.id}/pipelines/${ref}`);
  const found = await findPipeline(client, project, ref);
  if (!found) throw new ServerError(`pipeline "${ref}" not found in project ${project.name}`, 404);
  return found;
}

export async function findPipeline(
  client: ApiClient,
  project: Project,
  name: string,
): Promise<Pipeline | undefined> {
  const pipelines = await client.all<Pipeline>(`/api/projects/${project.id}/pipelines`);
  return pipelines.find((p) => p.name === name);
}

export interface ResolvedRun {
  project: Project;
  run: Run;
}

export function runPath(projectId: string, runId: string): string {
  return `/api/projects/${projectId}/runs/${runId}`;
}

/** A step of `run` by id or name. */
export function findStep(run: Run, ref: string) {
  const steps = run.steps ?? [];
  const step = steps.find((s) => s.id === ref || s.name === ref);
  if (!step) {
    const names = steps.map((s) => s.name).join(', ');
    throw new ServerError(`run #${run.number} has no step "${ref}" (its steps: ${names})`, 404);
  }
  return step;
}

export async function resolveRun(client: ApiClient, ref: string, projectFlag?: string): Promise<ResolvedRun> {
  const parsed = parseRunRef(ref, projectFlag);
  if (parsed.project) {
    const project = await resolveProject(client, parsed.project);
    const id = parsed.id ?? (await runIdByNumber(client, project, parsed.number as number));
    return { project, run: await client.get<Run>(runPath(project.id, id)) };
  }
  return findRunAnywhere(client, parsed.id as string);
}

async function runIdByNumber(client: ApiClient, project: Project, number: number): Promise<string> {
  // Runs come newest first and numbers grow with time, so the scan stops once it passes the number.
  let cursor: string | undefined;
  do {
    const page = await client.get<{ items: Run[]; next_cursor: string | null }>(
      `/api/projects/${project.id}/runs`,
      {
        limit: 100,
        cursor,
      },
    );
    const found = page.items.find((r) => r.number === number);
    if (found) return found.id;
    if (page.items.some((r) => r.number < number)) break;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  throw new ServerError(`run #${number} not found in project ${project.name}`, 404);
}

/** A bare run id: run URLs are per project, so each visible project is asked in turn. */
async function findRunAnywhere(client: ApiClient, id: string): Promise<ResolvedRun> {
  const projects = await client.all<Project>('/api/projects');
  for (const project of projects) {
    try {
      return { project, run: await client.get<Run>(runPath(project.id, id)) };
    } catch (error) {
      if (!(error instanceof ServerError && error.status === 404)) throw error;
    }
  }
  throw new ServerError(`run ${id} not found in any project visible to this token`, 404);
}

/** A user id as given, or the user with that email (listing users is for platform admins). */
export async function resolveUserId(client: ApiClient, ref: string): Promise<string> {
  if (isUuid(ref)) return ref;
  const users = await client.all<User>('/api/users');
  const found = users.find((u) => u.email === ref.toLowerCase());
  if (!found) throw new ServerError(`no user with email ${ref}`, 404);
  return found.id;
}
