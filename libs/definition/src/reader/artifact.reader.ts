import { ArtifactDefinition, ArtifactReport, ARTIFACT_REPORTS } from '../definition.model';
import { childPath } from '../problems/problem-collector';
import { checkArtifactPath } from '../values/artifact-path';
import { durationProblem, parseDuration } from '../values/duration';
import { YamlNode } from '../yaml/yaml-node';
import { FieldReader, valueOf } from './field.reader';
import { readName } from './step.reader';

/** Reads `artifacts`: uniquely named, workspace-relative paths with an optional expiry. */
export function readArtifacts(node: YamlNode, path: string, reader: FieldReader): ArtifactDefinition[] {
  if (node.kind !== 'sequence') {
    reader.problems.error(path, node, 'must be a list of artifacts');
    return [];
  }
  const artifacts: ArtifactDefinition[] = [];
  const seen = new Map<string, { path: string; node: YamlNode }>();
  node.items.forEach((item, index) => {
    const itemPath = childPath(path, index);
    const mapping = reader.mapping(item, itemPath, 'a mapping with "name" and "path"');
    if (!mapping) return;
    reader.keys(mapping, itemPath, ['name', 'path', 'expires', 'report']);
    const nameNode = reader.required(mapping, itemPath, 'name');
    const name = nameNode && readName(nameNode, childPath(itemPath, 'name'), reader, 'artifact');
    if (nameNode && name) {
      const first = seen.get(name);
      if (first) {
        const where = `${first.path} at line ${reader.problems.lineOf(first.node)}`;
        reader.problems.error(
          childPath(itemPath, 'name'),
          nameNode,
          `duplicate artifact name "${name}" (first used by ${where})`,
        );
      } else {
        seen.set(name, { path: itemPath, node: nameNode });
      }
    }
    const pathNode = reader.required(mapping, itemPath, 'path');
    const artifactPath = pathNode && readArtifactPath(pathNode, childPath(itemPath, 'path'), reader);
    const expires = readExpiry(valueOf(mapping, 'expires'), childPath(itemPath, 'expires'), reader);
    const report = readReport(valueOf(mapping, 'report'), childPath(itemPath, 'report'), reader);
    if (name && artifactPath)
      artifacts.push({
        name,
        path: artifactPath,
        ...(expires !== undefined && { expiresMs: expires }),
        ...(report && { report }),
      });
  });
  return artifacts;
}

export function readArtifactPath(node: YamlNode, path: string, reader: FieldReader): string | undefined {
  const raw = reader.string(node, path);
  if (raw === undefined) return undefined;
  const checked = checkArtifactPath(raw);
  if (checked.ok) return checked.path;
  reader.problems.error(path, node, checked.problem);
  return undefined;
}

function readReport(node: YamlNode | undefined, path: string, reader: FieldReader): ArtifactReport | undefined {
  if (!node) return undefined;
  const text = reader.string(node, path);
  if (text === undefined) return undefined;
  if ((ARTIFACT_REPORTS as readonly string[]).includes(text)) return text as ArtifactReport;
  reader.problems.error(path, node, `must be one of ${ARTIFACT_REPORTS.join(', ')}`);
  return undefined;
}

function readExpiry(node: YamlNode | undefined, path: string, reader: FieldReader): number | undefined {
  if (!node) return undefined;
  const text = reader.string(node, path);
  const problem = text === undefined ? undefined : durationProblem(text);
  if (problem) reader.problems.error(path, node, problem);
  return text === undefined || problem ? undefined : parseDuration(text);
}
