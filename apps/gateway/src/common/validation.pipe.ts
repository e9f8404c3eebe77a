import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldProblem, InvalidInputError } from '@kiln/errors';

/**
 * DTO validation for every route: unknown fields are refused by name, values are converted to
 * the DTO's types, and the 400 lists each bad field in `details`.
 */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const problems = errors.flatMap((e) => flatten(e, ''));
      return new InvalidInputError(problems.map((p) => p.message).join('; ') || 'invalid request', problems);
    },
  });
}

function flatten(error: ValidationError, parent: string): FieldProblem[] {
  const field = parent ? `${parent}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) => ({
    field,
    // class-validator words nested messages with the leaf name only; give the full path.
    message: parent && message.startsWith(error.property) ? `${parent}.${message}` : message,
  }));
  return [...own, ...(error.children ?? []).flatMap((c) => flatten(c, field))];
}
