import { isCircleCiRoot } from './circleci/circleci-job.reader';
import { readCircleCiDefinition } from './circleci/circleci.mapper';
import { DefinitionFormat, ParseOptions, ParseResult } from './definition.model';
import { childPath, ProblemCollector } from './problems/problem-collector';
import { FieldReader } from './reader/field.reader';
import { readPlatformDefinition } from './reader/platform.reader';
import { validateStepGraph } from './validation/graph.validator';
import { loadYaml } from './yaml/yaml.loader';
import { isNullNode, YamlMapping } from './yaml/yaml-node';
import { DuplicateKey } from './yaml/yaml-tree.builder';

const CIRCLECI_FILENAME = /(^|[/\\])\.(circleci[/\\]config|popsicle[/\\]ci)\.ya?ml$/;

/**
 * Parses and validates a pipeline definition: a `.platform.yaml`, or a CircleCI-style file
 * (detected by top-level `version` + `jobs`, or by its `.circleci/config.yml` / `.popsicle/ci.yml`
 * file name). Every problem is reported at once; YAML that cannot be read at all (syntax,
 * encoding, size, alias bombs, nesting) ends in a single error.
 */
export function parseDefinition(source: string | Uint8Array, options: ParseOptions = {}): ParseResult {
  const loaded = loadYaml(source);
  if (!loaded.ok) {
    const { line, column, message } = loaded;
    return { ok: false, errors: [{ path: '', line, column, message }], warnings: [] };
  }
  const problems = new ProblemCollector(loaded.lines);
  const root = loaded.root;
  if (!root || isNullNode(root)) {
    problems.error('', 0, 'the file is empty; it needs a top-level "pipeline" key with at least one step');
  } else if (root.kind !== 'mapping') {
    problems.error('', root, 'the file must be a mapping with a top-level "pipeline" key');
  } else {
    const format = detectFormat(root, options.filename);
    reportDuplicates(loaded.duplicates, format, problems);
    const reader = new FieldReader(problems);
    const read =
      format === 'circleci'
        ? readCircleCiDefinition(root, reader, options.resourceClasses)
        : readPlatformDefinition(root, reader);
    validateStepGraph(read.drafts, problems, format === 'circleci' ? 'job' : 'step');
    if (!problems.hasErrors) {
      return { ok: true, definition: read.definition, format, warnings: problems.sortedWarnings() };
    }
  }
  return { ok: false, errors: problems.sortedErrors(), warnings: problems.sortedWarnings() };
}

function detectFormat(root: YamlMapping, filename: string | undefined): DefinitionFormat {
  if (filename && CIRCLECI_FILENAME.test(filename)) return 'circleci';
  return isCircleCiRoot(root) ? 'circleci' : 'platform';
}

function reportDuplicates(
  duplicates: DuplicateKey[],
  format: DefinitionFormat,
  problems: ProblemCollector,
): void {
  for (const { segments, keyNode, first } of duplicates) {
    // .platform.yaml paths are relative to `pipeline:`, like every other problem in that format.
    const relative =
      format === 'platform' && segments[0] === 'pipeline' && segments.length > 1
        ? segments.slice(1)
        : segments;
    const path = relative.reduce<string>((acc, segment) => childPath(acc, segment), '');
    problems.error(
      path,
      keyNode,
      `duplicate key "${keyNode.text}" (first defined at line ${problems.lineOf(first)})`,
    );
  }
}
