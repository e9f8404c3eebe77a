import { dump } from 'js-yaml';
import { Command } from 'commander';
import { CliContext } from '../context';
import { FailedError } from '../errors';
import { colors } from '../output/style';
import { readDefinitionFile } from '../validate/definition-file';
import { renderProblems } from '../validate/problem-report';

export function registerValidateCommand(program: Command, ctx: CliContext): void {
  program
    .command('validate [file]')
    .description('check a definition offline, with the same rules and messages as the server')
    .option('--json', 'print {valid, errors, warnings, steps} as JSON')
    .option(
      '--explain',
      'also print the mapped pipeline in .platform.yaml form (what a CircleCI file became)',
    )
    .action((file: string | undefined, options: ValidateOptions) =>
      validate(ctx, file ?? '.platform.yaml', options),
    );
}

interface ValidateOptions {
  json?: boolean;
  explain?: boolean;
}

async function validate(ctx: CliContext, file: string, options: ValidateOptions): Promise<void> {
  const source = readDefinitionFile(file);
  const { parseDefinition, explainDefinition } = await import('@kiln/definition');
  const result = parseDefinition(source, { filename: file });
  if (options.json) {
    ctx.json({
      valid: result.ok,
      errors: result.ok ? [] : result.errors,
      warnings: result.warnings,
      ...(result.ok ? { steps: result.definition.steps.map((s) => s.name) } : {}),
      ...(result.ok && options.explain ? { explained: explainDefinition(result.definition) } : {}),
    });
  } else {
    if (result.warnings.length) ctx.note(renderProblems(file, source, result.warnings, 'warning'));
    if (!result.ok) ctx.print(renderProblems(file, source, result.errors));
  }
  if (!result.ok)
    throw new FailedError(`${file} is not a valid definition (${result.errors.length} problem(s))`);
  if (!options.json) {
    const steps = result.definition.steps.map((s) => s.name).join(', ');
    ctx.print(`${colors.green('✓')} ${file} is valid: ${result.definition.steps.length} step(s): ${steps}`);
    if (options.explain)
      ctx.print(dump(explainDefinition(result.definition), { lineWidth: 120, noRefs: true }));
  }
}
