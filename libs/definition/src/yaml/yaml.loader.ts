import { parseEvents, YAMLException } from 'js-yaml';
import { DEFINITION_LIMITS } from '../limits';
import { LineIndex } from './line-index';
import { decodeSource } from './source-decoder';
import { YamlNode } from './yaml-node';
import { DuplicateKey, YamlTreeBuilder, YamlTreeError } from './yaml-tree.builder';

export type YamlLoadResult =
  | { ok: true; root: YamlNode | null; duplicates: DuplicateKey[]; lines: LineIndex }
  | { ok: false; line: number; column: number; message: string };

/**
 * Decodes, parses and builds the positioned tree for one YAML document. Any failure here is fatal
 * for the file (nothing meaningful can be validated), so it comes back as a single located message.
 */
export function loadYaml(source: string | Uint8Array, limits = DEFINITION_LIMITS): YamlLoadResult {
  const decoded = decodeSource(source, limits.maxSourceBytes);
  if (!decoded.ok) return decoded;
  const { text } = decoded;
  const lines = new LineIndex(text);
  try {
    // js-yaml counts the opening collection as depth 0, so +1 makes `maxDepth` levels allowed.
    const events = parseEvents(text, { maxDepth: limits.maxDepth + 1 });
    const builder = new YamlTreeBuilder(text, limits);
    const root = builder.build(events);
    return { ok: true, root, duplicates: builder.duplicates, lines };
  } catch (error) {
    if (error instanceof YamlTreeError)
      return { ok: false, ...lines.locate(error.offset), message: error.message };
    if (error instanceof YAMLException) {
      const at = lines.locate(error.mark?.position ?? 0);
      return { ok: false, ...at, message: describeSyntaxError(error.reason, limits.maxDepth) };
    }
    throw error;
  }
}

function describeSyntaxError(reason: string, maxDepth: number): string {
  if (reason.startsWith('nesting exceeded maxDepth'))
    return `the document is nested deeper than ${maxDepth} levels`;
  if (reason.includes('tab characters')) return `invalid YAML: ${reason}; indent with spaces`;
  return `invalid YAML: ${reason}`;
}
