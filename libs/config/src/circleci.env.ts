import { ResourceClassTable, resourceClassTableProblem } from '@kiln/definition';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';

/** How CircleCI files are imported, read by the apps that import them (gateway validate, scheduler). */
export class CircleCiEnv {
  /**
   * JSON object of CircleCI `resource_class` → `{ "cpu", "memory" }`, merged over Kiln's built-in
   * table (a class in both is the operator's), e.g. `{"arm.medium":{"cpu":"2","memory":"8Gi"}}`.
   */
  @JsonResourceClasses() KILN_CIRCLECI_RESOURCE_CLASSES: ResourceClassTable = {};
}

// Parsed here so the apps get a table; text that is not JSON stays text and fails the check.
function JsonResourceClasses(): PropertyDecorator {
  const parse = Transform(({ obj, key }) => {
    const raw = (obj as Record<string, unknown>)[key];
    if (typeof raw !== 'string') return raw;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      // Not JSON: the validator below names the variable and says what it must be.
      return raw;
    }
  });
  const check = ValidateBy({
    name: 'resourceClassTable',
    validator: {
      validate: (value: unknown) => resourceClassTableProblem(value) === undefined,
      defaultMessage: (args) =>
        typeof args?.value === 'string'
          ? 'must be JSON: an object of resource class → { "cpu": "2", "memory": "4Gi" }'
          : (resourceClassTableProblem(args?.value) ?? ''),
    },
  });
  return (target, key) => {
    parse(target, key);
    check(target, key);
  };
}
