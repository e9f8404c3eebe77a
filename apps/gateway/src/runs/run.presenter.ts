import { Run, Step } from '@kiln/db';

export type RunWithSteps = Run & { steps: Step[] };

/** Steps in run order, as the scheduler created them. */
export const STEPS_IN_ORDER = { steps: { orderBy: { position: 'asc' as const } } };

export function presentRun(run: RunWithSteps) {
  return {
    id: run.id,
    number: run.number,
    project_id: run.projectId,
    pipeline_id: run.pipelineId,
    status: run.status,
    trigger: run.trigger,
    triggered_by: run.triggeredBy,
    event: run.event,
    git_ref: run.gitRef,
    branch: run.branch,
    tag: run.tag,
    commit_sha: run.commitSha,
    commit_message: run.commitMessage,
    commit_author: run.commitAuthor,
    pull_request_url: run.pullRequestUrl,
    error: run.error,
    retry_of: run.retryOfId,
    from_fork: run.fromFork,
    secrets_withheld: run.secretsWithheld,
    created_at: run.createdAt.toISOString(),
    started_at: run.startedAt?.toISOString() ?? null,
    finished_at: run.finishedAt?.toISOString() ?? null,
    steps: run.steps.map(presentStep),
  };
}

export function presentStep(step: Step) {
  return {
    id: step.id,
    name: step.name,
    status: step.status,
    exit_code: step.exitCode,
    depends_on: step.dependsOn,
    started_at: step.startedAt?.toISOString() ?? null,
    finished_at: step.finishedAt?.toISOString() ?? null,
    duration_ms: step.durationMs,
    log_ref: step.logRef,
    image: step.image,
    image_digest: step.imageDigest,
    attempt: step.attempt,
    error: step.error,
    reused_from: step.reusedFrom,
  };
}
