import { cacheKeyProblem } from '../cache/cache-key';
import { childPath } from '../problems/problem-collector';
import { valueOf } from '../reader/field.reader';
import { nameProblem, NAME_MAX_LENGTH } from '../values/names';
import { YamlNode } from '../yaml/yaml-node';
import { StepContext } from './circleci-job-plan';
import { mapPath, shellQuote } from './circleci-paths';

/** Where files from outside the workspace are copied so they can be kept as artifacts. */
const ARTIFACT_COPIES = '.circleci-artifacts';
/** Where `persist_to_workspace` puts files from outside the workspace for `attach_workspace`. */
const WORKSPACE_COPIES = '.circleci-workspace';

/**
 * `store_artifacts` and `store_test_results` become run artifacts. A path outside the workspace
 * is copied into it first, at that point of the job, as CircleCI uploads it there.
 */
export function readStoreArtifacts(
  node: YamlNode,
  path: string,
  ctx: StepContext,
  testResults: boolean,
): void {
  const { reader, plan } = ctx;
  const mapping = reader.mapping(node, path, 'a mapping with "path"');
  if (!mapping) return;
  reader.keys(
    mapping,
    path,
    testResults ? ['path', 'name', 'when'] : ['path', 'destination', 'name', 'when'],
  );
  const pathNode = reader.required(mapping, path, 'path');
  const raw = pathNode && reader.string(pathNode, childPath(path, 'path'));
  if (!pathNode || raw === undefined) return;
  const destination = valueOf(mapping, 'destination');
  const written = destination && reader.string(destination, childPath(path, 'destination'));
  // Artifacts are per job in CircleCI and per run in Kiln, so each is prefixed with its step.
  const name = artifactName(`${plan.name}-${written ?? (testResults ? 'test-results' : lastSegment(raw))}`);
  const at = destination ?? pathNode;
  const atPath = childPath(path, destination ? 'destination' : 'path');
  const problem = nameProblem(name, 'artifact');
  if (problem) return reader.problems.error(atPath, at, problem);
  const mapped = mapPath(raw, plan.workingDirectory);
  let artifactPath: string;
  if (mapped.inside) artifactPath = mapped.path;
  else {
    artifactPath = `${ARTIFACT_COPIES}/${name}/`;
    plan.commands.push({
      script: `(mkdir -p ${shellQuote(artifactPath)} && cp -R ${mapped.shell} ${shellQuote(artifactPath)})`,
      when: 'on_success',
    });
  }
  plan.artifacts.push({
    name,
    path: artifactPath,
    ...(testResults && { report: 'junit' as const }),
    node: at,
    yamlPath: atPath,
  });
}

/**
 * Every step of a run shares one workspace, so what a job persists from inside it is already
 * there for the jobs after it; files from elsewhere travel through `.circleci-workspace`.
 */
export function readPersistToWorkspace(node: YamlNode, path: string, ctx: StepContext): void {
  const { reader, plan } = ctx;
  const mapping = reader.mapping(node, path, 'a mapping with "root" and "paths"');
  if (!mapping) return;
  reader.keys(mapping, path, ['root', 'paths', 'name', 'when']);
  const rootNode = reader.required(mapping, path, 'root');
  const pathsNode = reader.required(mapping, path, 'paths');
  const root = rootNode && reader.string(rootNode, childPath(path, 'root'));
  const paths = pathsNode ? (reader.stringList(pathsNode, childPath(path, 'paths')) ?? []) : [];
  if (root === undefined) return;
  const mapped = mapPath(root, plan.workingDirectory);
  if (mapped.inside) {
    reader.problems.warn(
      path,
      node,
      'is not needed in Kiln: the jobs of a run share the workspace, so these files are already there',
    );
    return;
  }
  const list = paths.map((item) => shellQuote(item.value)).join(' ');
  plan.commands.push({
    script: `(mkdir -p ${WORKSPACE_COPIES} && cd ${mapped.shell} && tar cf - ${list}) | tar xf - -C ${WORKSPACE_COPIES}`,
    when: 'on_success',
  });
  reader.problems.warn(
    path,
    node,
    `copies these files into ${WORKSPACE_COPIES}/ of the shared workspace for "attach_workspace"`,
  );
}

export function readAttachWorkspace(node: YamlNode, path: string, ctx: StepContext): void {
  const { reader, plan } = ctx;
  const mapping = reader.mapping(node, path, 'a mapping with "at"');
  if (!mapping) return;
  reader.keys(mapping, path, ['at', 'name', 'when']);
  const atNode = reader.required(mapping, path, 'at');
  const at = atNode && reader.string(atNode, childPath(path, 'at'));
  if (at === undefined) return;
  const mapped = mapPath(at, plan.workingDirectory);
  const target = mapped.inside ? shellQuote(mapped.path) : mapped.shell;
  plan.commands.push({
    script: `if [ -d ${WORKSPACE_COPIES} ]; then mkdir -p ${target} && cp -R ${WORKSPACE_COPIES}/. ${target}; fi`,
    when: 'on_success',
  });
  reader.problems.warn(
    path,
    node,
    'the jobs of a run share the workspace; files persisted from outside it are copied here',
  );
}

/**
 * `restore_cache` keys and `save_cache` become the step's `cache` (restored before the step,
 * saved after it succeeded). A key or path Kiln cannot keep drops that cache with a warning: a
 * cache miss is always a valid outcome in CircleCI, so the job still runs correctly.
 */
export function readCache(node: YamlNode, path: string, ctx: StepContext, type: string): void {
  const { reader, plan } = ctx;
  const mapping = reader.mapping(node, path, 'a mapping with "key" or "keys"');
  if (!mapping) return;
  const save = type === 'save_cache';
  reader.keys(mapping, path, save ? ['key', 'paths', 'name', 'when'] : ['key', 'keys', 'name', 'when']);
  const keysNode = valueOf(mapping, 'keys') ?? valueOf(mapping, 'key');
  const keys = keysNode
    ? (reader.stringList(keysNode, childPath(path, valueOf(mapping, 'keys') ? 'keys' : 'key')) ?? [])
    : [];
  const converted = keys.map((item) => cacheKey(item.value));
  const unusable = keys.find((_, i) => converted[i] === undefined);
  if (unusable) {
    reader.problems.warn(
      unusable.path,
      unusable.node,
      `"${unusable.value}" uses a template Kiln's cache keys do not have; this cache is skipped`,
    );
    return;
  }
  if (!save) {
    plan.restoreKeys.push(...(converted as string[]));
    return;
  }
  const pathsNode = reader.required(mapping, path, 'paths');
  const items = pathsNode ? (reader.stringList(pathsNode, childPath(path, 'paths')) ?? []) : [];
  const paths = items.flatMap((item) => {
    const mapped = mapPath(item.value, plan.workingDirectory);
    if (mapped.inside && mapped.path !== '.') return [mapped.path.replace(/\/$/, '')];
    reader.problems.warn(
      item.path,
      item.node,
      'is outside the workspace; Kiln caches only workspace paths, so it is not cached',
    );
    return [];
  });
  const key = converted[0] as string;
  if (key && paths.length)
    plan.caches.push({ key, restoreKeys: plan.restoreKeys.filter((k) => k !== key), paths });
}

/** CircleCI's `{{ .Branch }}` is Kiln's `{{ branch }}`; `.Revision`, `.Environment.X` and the like have no equivalent. */
function cacheKey(key: string): string | undefined {
  const converted = key.replace(/\{\{\s*\.Branch\s*\}\}/g, '{{ branch }}');
  return cacheKeyProblem(converted) ? undefined : converted;
}

function lastSegment(path: string): string {
  return path.replace(/\/+$/, '').split('/').pop() ?? '';
}

/** Artifact names are step-name-like: lowercase, `/` and other characters folded to `-`. */
function artifactName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^-a-z0-9_.]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, NAME_MAX_LENGTH)
    .replace(/[^a-z0-9]+$/, '');
}
