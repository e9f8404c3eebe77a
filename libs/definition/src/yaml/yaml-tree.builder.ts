import { EVENT_ID, Event, getScalarValue, SCALAR_STYLE } from 'js-yaml';
import { DEFINITION_LIMITS } from '../limits';
import { YamlEntry, YamlMapping, YamlNode, YamlScalar, YamlSequence } from './yaml-node';

/** A repeated key; reported later, once the file format (and so the path style) is known. */
export interface DuplicateKey {
  segments: Array<string | number>;
  keyNode: YamlScalar;
  first: YamlScalar;
}

export class YamlTreeError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

interface Frame {
  node: YamlMapping | YamlSequence;
  anchor?: string;
  pendingKey?: YamlScalar;
  keys: Map<string, YamlScalar>;
  merges: YamlNode[];
}

const STRING_TAGS = new Set(['!!str', '!<tag:yaml.org,2002:str>']);
/**
 * js-yaml refuses these raw, but escapes (`"\0"`, `"\x1b"`) still decode to them. A NUL cannot be
 * stored in PostgreSQL text, nor passed in a path, argument or environment variable; tab and line
 * breaks are ordinary text in commands and scripts.
 */
const CONTROL_CHARACTER = /[^\P{Cc}\t\n\r]/u;
const COLLECTION_TAGS = new Set(['!!map', '!!seq', '!<tag:yaml.org,2002:map>', '!<tag:yaml.org,2002:seq>']);

/**
 * Builds positioned nodes from js-yaml's event stream. Aliases are counted and their expanded size
 * and depth are checked as they are met, so an alias bomb fails here before anything walks the tree.
 */
export class YamlTreeBuilder {
  readonly duplicates: DuplicateKey[] = [];
  private readonly stack: Frame[] = [];
  private readonly anchors = new Map<string, { node: YamlNode; open: boolean }>();
  private aliasCount = 0;
  private aliasExpansion = 0;
  private root: YamlNode | null = null;
  private documents = 0;

  constructor(
    private readonly text: string,
    private readonly limits = DEFINITION_LIMITS,
  ) {}

  build(events: Event[]): YamlNode | null {
    for (let i = 0; i < events.length; i++) {
      const event = events[i];
      switch (event.type) {
        case EVENT_ID.DOCUMENT:
          if (++this.documents > 1) throw this.multipleDocuments(events, i);
          break;
        case EVENT_ID.MAPPING:
        case EVENT_ID.SEQUENCE:
          this.open(event.type === EVENT_ID.MAPPING, event.start, event);
          break;
        case EVENT_ID.SCALAR:
          this.scalar(event);
          break;
        case EVENT_ID.ALIAS:
          this.alias(event.anchorStart - 1, this.text.slice(event.anchorStart, event.anchorEnd));
          break;
        case EVENT_ID.POP:
          if (this.stack.length > 0) this.close();
          break;
      }
    }
    return this.root;
  }

  private open(
    isMapping: boolean,
    offset: number,
    event: { tagStart: number; tagEnd: number; anchorStart: number; anchorEnd: number },
  ): void {
    const tag = event.tagStart >= 0 ? this.text.slice(event.tagStart, event.tagEnd) : undefined;
    if (tag !== undefined && !COLLECTION_TAGS.has(tag)) throw unsupportedTag(event.tagStart, tag);
    const node: YamlMapping | YamlSequence = isMapping
      ? { kind: 'mapping', offset, size: 1, height: 1, entries: [] }
      : { kind: 'sequence', offset, size: 1, height: 1, items: [] };
    const anchor = event.anchorStart >= 0 ? this.text.slice(event.anchorStart, event.anchorEnd) : undefined;
    if (anchor !== undefined) this.anchors.set(anchor, { node, open: true });
    this.stack.push({ node, anchor, keys: new Map(), merges: [] });
  }

  private scalar(event: Extract<Event, { type: typeof EVENT_ID.SCALAR }>): void {
    const tag = event.tagStart >= 0 ? this.text.slice(event.tagStart, event.tagEnd) : undefined;
    if (tag !== undefined && !STRING_TAGS.has(tag)) throw unsupportedTag(event.tagStart, tag);
    const quoted = event.style === SCALAR_STYLE.SINGLE_QUOTED || event.style === SCALAR_STYLE.DOUBLE_QUOTED;
    const offset = event.valueStart < 0 ? this.emptyValueOffset() : event.valueStart - (quoted ? 1 : 0);
    const text = getScalarValue(this.text, event);
    const control = CONTROL_CHARACTER.exec(text)?.[0];
    if (control !== undefined) throw controlCharacter(offset, control);
    const node: YamlScalar = {
      kind: 'scalar',
      offset,
      size: 1,
      height: 0,
      text,
      plain: event.style === SCALAR_STYLE.PLAIN && tag === undefined,
    };
    if (event.anchorStart >= 0)
      this.anchors.set(this.text.slice(event.anchorStart, event.anchorEnd), { node, open: false });
    this.attach(node);
  }

  private alias(offset: number, name: string): void {
    if (++this.aliasCount > this.limits.maxAliases) {
      throw new YamlTreeError(offset, `the file uses more than ${this.limits.maxAliases} aliases`);
    }
    const anchor = this.anchors.get(name);
    if (!anchor)
      throw new YamlTreeError(offset, `alias "*${name}" refers to an anchor that is not defined before it`);
    if (anchor.open) throw new YamlTreeError(offset, `alias "*${name}" refers to a node that contains it`);
    this.aliasExpansion += anchor.node.size;
    if (this.aliasExpansion > this.limits.maxAliasExpansion) {
      throw new YamlTreeError(offset, `aliases expand to more than ${this.limits.maxAliasExpansion} nodes`);
    }
    if (this.stack.length + anchor.node.height > this.limits.maxDepth) {
      throw new YamlTreeError(offset, `aliases nest the document deeper than ${this.limits.maxDepth} levels`);
    }
    this.attach(anchor.node);
  }

  private close(): void {
    const frame = this.stack.pop() as Frame;
    if (frame.node.kind === 'mapping') this.applyMerges(frame);
    if (frame.anchor !== undefined) {
      const anchor = this.anchors.get(frame.anchor);
      if (anchor?.node === frame.node) anchor.open = false;
    }
    this.attach(frame.node);
  }

  private attach(node: YamlNode): void {
    const parent = this.stack[this.stack.length - 1];
    if (!parent) {
      this.root = node;
      return;
    }
    parent.node.size += node.size;
    parent.node.height = Math.max(parent.node.height, node.height + 1);
    if (parent.node.kind === 'sequence') {
      parent.node.items.push(node);
    } else if (parent.pendingKey === undefined) {
      if (node.kind !== 'scalar') throw new YamlTreeError(node.offset, 'mapping keys must be plain strings');
      parent.pendingKey = node;
    } else {
      this.addEntry(parent, parent.pendingKey, node);
      parent.pendingKey = undefined;
    }
  }

  private addEntry(frame: Frame, keyNode: YamlScalar, value: YamlNode): void {
    const mapping = frame.node as YamlMapping;
    if (keyNode.plain && keyNode.text === '<<') {
      frame.merges.push(value);
      return;
    }
    const first = frame.keys.get(keyNode.text);
    if (first) {
      this.duplicates.push({ segments: [...this.pathOf(frame), keyNode.text], keyNode, first });
      return;
    }
    frame.keys.set(keyNode.text, keyNode);
    mapping.entries.push({ key: keyNode.text, keyNode, value });
  }

  /** YAML merge keys: explicit keys win, then earlier merge sources win over later ones. */
  private applyMerges(frame: Frame): void {
    const mapping = frame.node as YamlMapping;
    const sources = frame.merges.flatMap((value) => (value.kind === 'sequence' ? value.items : [value]));
    for (const source of sources) {
      if (source.kind !== 'mapping') {
        throw new YamlTreeError(source.offset, '"<<" can only merge a mapping or a list of mappings');
      }
      for (const entry of source.entries) {
        if (frame.keys.has(entry.key)) continue;
        frame.keys.set(entry.key, entry.keyNode);
        mapping.entries.push(entry as YamlEntry);
      }
    }
  }

  private pathOf(frame: Frame): Array<string | number> {
    const segments: Array<string | number> = [];
    for (const f of this.stack) {
      if (f === frame) break;
      const child = f.node;
      if (child.kind === 'sequence') segments.push(child.items.length);
      else if (f.pendingKey) segments.push(f.pendingKey.text);
    }
    return segments;
  }

  /** An empty value (`image:`) has no text of its own; point at its key or its list instead. */
  private emptyValueOffset(): number {
    const parent = this.stack[this.stack.length - 1];
    if (!parent) return 0;
    return parent.pendingKey?.offset ?? parent.node.offset;
  }

  private multipleDocuments(events: Event[], from: number): YamlTreeError {
    let offset = -1;
    for (let i = from; i < events.length && offset < 0; i++) {
      const e = events[i];
      if (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) offset = e.start;
      else if (e.type === EVENT_ID.SCALAR) offset = e.valueStart;
      else if (e.type === EVENT_ID.ALIAS) offset = e.anchorStart;
    }
    if (offset < 0) offset = Math.max(0, this.text.lastIndexOf('---'));
    return new YamlTreeError(
      offset,
      'the file contains more than one YAML document ("---"); only one is allowed',
    );
  }
}

function unsupportedTag(offset: number, tag: string): YamlTreeError {
  return new YamlTreeError(offset, `YAML tag "${tag}" is not supported`);
}

function controlCharacter(offset: number, character: string): YamlTreeError {
  const code = character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return new YamlTreeError(
    offset,
    `a value contains the control character U+${code}; only tab and line breaks are allowed in definitions`,
  );
}
