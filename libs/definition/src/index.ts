export * from './definition.model';
export { parseDefinition } from './definition.parser';
export { DEFINITION_LIMITS } from './limits';
export type { DefinitionLimits } from './limits';
export { topologicalOrder, readySteps, stepsSkippedBy } from './dag/dag';
export { findCycle, findCycles } from './dag/dag-cycles';
export { DagError } from './dag/dag-node';
export type { DagNode, FinishedStatus } from './dag/dag-node';
export { matchesPush, matchesMergeRequest } from './triggers/trigger-matcher';
export type { PushEvent, TriggerMatch } from './triggers/trigger-matcher';
export { globMatch } from './triggers/glob-match';
export { nextScheduleTime, cronProblem, cronWarning } from './triggers/cron-schedule';
export {
  MERGE_REQUEST_ACTIONS,
  DEFAULT_MERGE_REQUEST_ACTIONS,
  normalizeMergeRequestAction,
} from './triggers/mr-actions';
export { findSecretReferences } from './env/secret-references';
export { resolveServiceEnvironment, resolveStepEnvironment } from './env/step-environment';
export type { ResolvedEnvironment, ResolvedServiceEnvironment } from './env/step-environment';
export { INJECTED_VARIABLES, injectedEnvironment } from './env/injected-variables';
export type { InjectedVariable, InjectionContext } from './env/injected-variables';
export { parseDuration, formatDuration } from './values/duration';
export { parseQuantity, cpuProblem, memoryProblem } from './values/quantity';
export { NAME_PATTERN, NAME_MAX_LENGTH } from './values/names';
export { REGISTRY_HOST_PATTERN, registryHostProblem, registryOf } from './values/registry-host';
export { cacheKeyProblem, renderCacheKey, CACHE_KEY_MAX_LENGTH } from './cache/cache-key';
export type { CacheKeyContext } from './cache/cache-key';
export { MAX_MATRIX_COMBINATIONS } from './reader/matrix.reader';
export { stepConditionSkip } from './triggers/step-condition';
export type { RunContext } from './triggers/step-condition';
export { explainDefinition } from './circleci/explained-pipeline';
export { RESOURCE_CLASSES, resourceClassTableProblem } from './circleci/circleci-resource-classes';
export type { ResourceClassTable } from './circleci/circleci-resource-classes';
