import { JobCommand, JobPlan } from './circleci-job-plan';
import { DEFAULT_WORKING_DIRECTORY, shellPath } from './circleci-paths';

/** CircleCI's default shell: bash with `-eo pipefail` when the image has bash, sh otherwise. */
export const CIRCLECI_RUN_FUNCTION =
  'circleci_run() { if command -v bash >/dev/null 2>&1; then bash -eo pipefail -c "$1"; else sh -e -c "$1"; fi; }';

/**
 * The Kiln commands of one job. Kiln runs a step's commands as one `sh -e` script; when a job has
 * `when: always`/`on_fail` steps, each command is guarded by the job's outcome so far, and the
 * script ends failed if any on-success command failed, as the CircleCI job would.
 */
export function jobScript(plan: JobPlan): string[] {
  const commands: string[] = [];
  const link = workingDirectoryLink(plan.workingDirectory);
  if (link) commands.push(link);
  if (plan.usesDefaultShell) commands.push(CIRCLECI_RUN_FUNCTION);
  const guarded = plan.commands.some((command) => command.when !== 'on_success');
  if (!guarded) return [...commands, ...plan.commands.map(unguarded)];
  return [...commands, 'circleci_failed=0', ...plan.commands.map(guard), '[ "$circleci_failed" = 0 ]'];
}

function unguarded(command: JobCommand): string {
  return command.background ? `${command.script} &` : command.script;
}

function guard(command: JobCommand): string {
  const script = command.background ? `{ ${command.script} & }` : command.script;
  if (command.when === 'always') return `${script} || circleci_failed=1`;
  if (command.when === 'on_fail') return `[ "$circleci_failed" = 0 ] || ${script} || :`;
  return `[ "$circleci_failed" = 1 ] || ${script} || circleci_failed=1`;
}

/**
 * Commands that name the job's working directory by its absolute path (`cd ~/repo`,
 * `/go/src/...`) keep working: the directory is linked to the workspace when it does not exist.
 */
function workingDirectoryLink(directory: string): string | undefined {
  if (directory === DEFAULT_WORKING_DIRECTORY || !/^[~/]/.test(directory)) return undefined;
  const target = shellPath(directory.replace(/\/+$/, ''));
  return `[ -e ${target} ] || { mkdir -p "$(dirname ${target})" && ln -s "$PWD" ${target}; } || echo "note: ${directory.replace(/["$`\\]/g, '')} could not be linked to the workspace"`;
}
