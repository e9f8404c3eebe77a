import { join } from 'node:path';
import * as ts from 'typescript';

/** What a wire field holds, as far as JSON can tell. */
export type Shape =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'unknown' }
  | { kind: 'array'; of: Shape }
  | { kind: 'object'; name: string; fields: Field[] };

export interface Field {
  name: string;
  optional: boolean;
  nullable: boolean;
  shape: Shape;
}

type Schema = Record<string, unknown>;

const ROOT = join(__dirname, '../../..');

/** The exported interfaces of @kiln/api-wire, read with the TypeScript checker (aliases resolved). */
export function wireShapes(): Map<string, Shape> {
  const config = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const entry = join(ROOT, 'libs/api-wire/src/index.ts');
  const program = ts.createProgram([entry], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const shapes = new Map<string, Shape>();
  for (const symbol of checker.getExportsOfModule(module)) {
    if (!(symbol.flags & ts.SymbolFlags.Interface)) continue;
    shapes.set(symbol.name, shapeOf(checker, checker.getDeclaredTypeOfSymbol(symbol), symbol.name, 0));
  }
  return shapes;
}

function shapeOf(checker: ts.TypeChecker, type: ts.Type, name: string, depth: number): Shape {
  const parts = type.isUnion() ? type.types.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined))) : [type];
  if (parts.every((t) => t.flags & ts.TypeFlags.StringLike)) return { kind: 'string' };
  if (parts.every((t) => t.flags & ts.TypeFlags.NumberLike)) return { kind: 'number' };
  if (parts.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return { kind: 'boolean' };
  if (parts.length !== 1 || depth > 4) return { kind: 'unknown' };
  const [only] = parts;
  if (checker.isArrayType(only)) {
    const [item] = checker.getTypeArguments(only as ts.TypeReference);
    return { kind: 'array', of: shapeOf(checker, item, name, depth + 1) };
  }
  if (!(only.flags & ts.TypeFlags.Object)) return { kind: 'unknown' };
  const fields = checker.getPropertiesOfType(only).map((property) => {
    const declaration = property.valueDeclaration ?? property.declarations![0];
    const fieldType = checker.getTypeOfSymbolAtLocation(property, declaration);
    const nullable = fieldType.isUnion() && fieldType.types.some((t) => t.flags & ts.TypeFlags.Null);
    return {
      name: property.name,
      optional: !!(property.flags & ts.SymbolFlags.Optional),
      nullable,
      shape: shapeOf(checker, fieldType, `${name}.${property.name}`, depth + 1),
    };
  });
  return { kind: 'object', name: only.aliasSymbol?.name ?? only.symbol?.name ?? name, fields };
}

/**
 * Where a wire shape and an OpenAPI schema disagree: a field the schema does not have, of another
 * type, that the schema lets be null or absent while the wire type says it never is.
 */
export function mismatches(shape: Shape, schema: Schema, doc: Schema, at: string): string[] {
  const resolved = resolve(schema, doc);
  if (shape.kind === 'unknown') return [];
  const type = resolved.type as string | undefined;
  if (shape.kind === 'string') return type === 'string' ? [] : [`${at}: string in the wire type, ${describe(resolved)} in the API`];
  if (shape.kind === 'number') {
    return type === 'number' || type === 'integer' ? [] : [`${at}: number in the wire type, ${describe(resolved)} in the API`];
  }
  if (shape.kind === 'boolean') return type === 'boolean' ? [] : [`${at}: boolean in the wire type, ${describe(resolved)} in the API`];
  if (shape.kind === 'array') {
    if (type !== 'array') return [`${at}: a list in the wire type, ${describe(resolved)} in the API`];
    return mismatches(shape.of, (resolved.items as Schema) ?? {}, doc, `${at}[]`);
  }
  const properties = resolved.properties as Record<string, Schema> | undefined;
  // An object the API documents without its fields (`object`) cannot be checked further.
  if (!properties) return type === 'object' ? [] : [`${at}: an object in the wire type, ${describe(resolved)} in the API`];
  const required = new Set((resolved.required as string[] | undefined) ?? []);
  return shape.fields.flatMap((field) => {
    const where = `${at}.${field.name}`;
    const property = properties[field.name];
    if (!property) return [`${where}: not in the API's answer`];
    const problems: string[] = [];
    if (!field.optional && !required.has(field.name)) problems.push(`${where}: the API may leave it out; the wire type says it is always there`);
    if (!field.nullable && resolve(property, doc).nullable === true) problems.push(`${where}: the API may answer null; the wire type says it never does`);
    return [...problems, ...mismatches(field.shape, property, doc, where)];
  });
}

function resolve(schema: Schema, doc: Schema): Schema {
  const ref = schema.$ref as string | undefined;
  if (ref) {
    const name = ref.replace('#/components/schemas/', '');
    const components = (doc.components as { schemas: Record<string, Schema> }).schemas;
    return resolve(components[name], doc);
  }
  const all = schema.allOf as Schema[] | undefined;
  if (all?.length === 1) return { ...resolve(all[0], doc), ...(schema.nullable ? { nullable: true } : {}) };
  return schema;
}

function describe(schema: Schema): string {
  return String(schema.type ?? (schema.properties ? 'object' : 'untyped'));
}
