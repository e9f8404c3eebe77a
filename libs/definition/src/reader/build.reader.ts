import { StepBuild } from '../definition.model';
import { childPath } from '../problems/problem-collector';
import { checkArtifactPath } from '../values/artifact-path';
import { YamlNode } from '../yaml/yaml-node';
import { FieldReader, valueOf } from './field.reader';

/** Reads `build:`: a context inside the workspace and a Dockerfile inside the context. */
export function readBuild(node: YamlNode, path: string, reader: FieldReader): StepBuild | undefined {
  const mapping = reader.mapping(node, path, 'a mapping with "context" and/or "dockerfile"');
  if (!mapping) return undefined;
  reader.keys(mapping, path, ['context', 'dockerfile']);
  const context = readInside(valueOf(mapping, 'context'), childPath(path, 'context'), reader, 'workspace');
  const dockerfile = readInside(
    valueOf(mapping, 'dockerfile'),
    childPath(path, 'dockerfile'),
    reader,
    'context',
  );
  if (dockerfile === '.') {
    const dockerfileNode = valueOf(mapping, 'dockerfile') as YamlNode;
    reader.problems.error(childPath(path, 'dockerfile'), dockerfileNode, 'must name a file in the context');
    return undefined;
  }
  if (context === undefined || dockerfile === undefined) return undefined;
  return { context, dockerfile };
}

/** A relative path that stays inside `root`; absent: `.` for the context, `Dockerfile` for the file. */
function readInside(
  node: YamlNode | undefined,
  path: string,
  reader: FieldReader,
  root: 'workspace' | 'context',
): string | undefined {
  if (!node) return root === 'workspace' ? '.' : 'Dockerfile';
  const raw = reader.string(node, path);
  if (raw === undefined) return undefined;
  const checked = checkArtifactPath(raw);
  if (!checked.ok) {
    reader.problems.error(path, node, checked.problem.replace('workspace', root));
    return undefined;
  }
  return checked.path.replace(/\/$/, '');
}
