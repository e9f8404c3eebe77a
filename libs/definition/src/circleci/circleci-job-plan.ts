import { ArtifactReport, StepCache } from '../definition.model';
import { FieldReader } from '../reader/field.reader';
import { YamlNode } from '../yaml/yaml-node';
import { CircleCiDefinitions } from './circleci-definitions';
import { ParameterScope } from './circleci-parameters';

/** CircleCI's `when` on a step: after success (default), always, or only after a failure. */
export type RunCondition = 'on_success' | 'always' | 'on_fail';

/** One shell command of the job's script: a single and-or list, so it can be guarded. */
export interface JobCommand {
  script: string;
  when: RunCondition;
  background?: boolean;
}

export interface JobArtifact {
  name: string;
  path: string;
  /** Set for `store_test_results`. */
  report?: ArtifactReport;
  node: YamlNode;
  yamlPath: string;
}

/** What a job's steps became: the commands of one Kiln step and the artifacts it leaves. */
export interface JobPlan {
  /** The Kiln step name, used to name artifacts. */
  name: string;
  /** As written in the job or its executor (CircleCI's default otherwise): the workspace. */
  workingDirectory: string;
  /** Set when the job names one; otherwise CircleCI's bash-if-present default applies. */
  shell?: string;
  commands: JobCommand[];
  artifacts: JobArtifact[];
  /** `save_cache` steps, with the keys of the `restore_cache` steps before them as fallbacks. */
  caches: StepCache[];
  restoreKeys: string[];
  /** Set once a run step uses the default shell, so the job's script defines `circleci_run`. */
  usesDefaultShell: boolean;
  /** Each `run` step's `no_output_timeout` in milliseconds; undefined where it gives none. */
  noOutputTimeouts: Array<number | undefined>;
}

export interface StepContext {
  plan: JobPlan;
  definitions: CircleCiDefinitions;
  reader: FieldReader;
  pipeline: ParameterScope['pipeline'];
  /** Reusable commands being expanded, innermost last, to stop recursion. */
  stack: string[];
}

/** Commands calling commands deeper than this are refused (CircleCI configs nest two or three). */
export const MAX_COMMAND_DEPTH = 20;

/** Expanded steps per job; a parameter fed back into itself cannot grow a job without bound. */
export const MAX_JOB_COMMANDS = 2000;
