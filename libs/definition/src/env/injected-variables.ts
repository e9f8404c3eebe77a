/** Variables Kiln sets in every step (SPEC §3). They win over a step's own `environment`. */
export const INJECTED_VARIABLES = [
  'PLATFORM_PROJECT_ID',
  'PLATFORM_PROJECT_NAME',
  'COMMIT_SHA',
  'COMMIT_REF',
  'COMMIT_BRANCH',
  'PIPELINE_ID',
  'STEP_NAME',
  'REGISTRY',
  'PROJECT',
  'CI',
] as const;

export type InjectedVariable = (typeof INJECTED_VARIABLES)[number];

export interface InjectionContext {
  projectId: string;
  projectName: string;
  commitSha: string;
  commitRef: string;
  /** Empty for tag pushes. */
  commitBranch?: string;
  pipelineId: string;
  stepName: string;
  registry: string;
  /** The image repository name under the registry; defaults to the project name. */
  project?: string;
}

/** The injected variables for one step, so every caller spells them the same way. */
export function injectedEnvironment(context: InjectionContext): Record<InjectedVariable, string> {
  return {
    PLATFORM_PROJECT_ID: context.projectId,
    PLATFORM_PROJECT_NAME: context.projectName,
    COMMIT_SHA: context.commitSha,
    COMMIT_REF: context.commitRef,
    COMMIT_BRANCH: context.commitBranch ?? '',
    PIPELINE_ID: context.pipelineId,
    STEP_NAME: context.stepName,
    REGISTRY: context.registry,
    PROJECT: context.project ?? context.projectName,
    CI: 'true',
  };
}
