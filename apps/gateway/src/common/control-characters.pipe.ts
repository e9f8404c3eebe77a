import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { FieldProblem, InvalidInputError } from '@kiln/errors';

const MULTILINE = Symbol('kiln:multiline-text');
const CONTROL = /\p{Cc}/u;
const CONTROL_BUT_LINE_BREAKS = /[^\P{Cc}\t\n\r]/u;

/**
 * Marks a DTO field as multi-line text (a YAML definition, a description, a PEM secret):
 * tab, line feed and carriage return are allowed in it; every other control character still is not.
 */
export function MultilineText(): PropertyDecorator {
  return (target, key) => Reflect.defineMetadata(MULTILINE, true, target, key);
}

/**
 * The one rule for every string of every body, query and path parameter, before DTO validation:
 * NUL and other control characters are refused by field name. PostgreSQL cannot store NUL in
 * text, git and container runtimes cut strings at it, and terminals act on escape sequences.
 */
@Injectable()
export class ControlCharactersPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const problems = controlCharacterProblems(value, metadata.data ?? '', (field) =>
      isMultiline(metadata.metatype, field),
    );
    if (problems.length > 0) throw new InvalidInputError(problems.map((p) => p.message).join('; '), problems);
    return value;
  }
}

/** Each string field of `value` (walked through arrays and objects) that holds a forbidden character. */
export function controlCharacterProblems(
  value: unknown,
  field: string,
  multiline: (field: string) => boolean,
): FieldProblem[] {
  if (typeof value === 'string') {
    const found = (multiline(field) ? CONTROL_BUT_LINE_BREAKS : CONTROL).exec(value)?.[0];
    if (found === undefined) return [];
    const code = found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    const allowed = multiline(field) ? ' other than tab and line breaks' : '';
    return [
      {
        field: field || 'value',
        message: `${field || 'value'} must not contain control characters${allowed} (found U+${code})`,
      },
    ];
  }
  if (Array.isArray(value))
    return value.flatMap((item: unknown) => controlCharacterProblems(item, field, multiline));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([key, item]) =>
      controlCharacterProblems(item, field ? `${field}.${key}` : key, multiline),
    );
  return [];
}

function isMultiline(metatype: ArgumentMetadata['metatype'], field: string): boolean {
  if (!metatype?.prototype || field.includes('.')) return false;
  return Reflect.getMetadata(MULTILINE, metatype.prototype as object, field) === true;
}
