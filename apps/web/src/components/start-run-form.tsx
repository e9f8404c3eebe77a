import { Pipeline } from '@kiln/api-wire';
import { Field, FormFooter, described } from '../forms/field';
import { check, parseVariables, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { href } from '../routes';
import { useSession } from '../session';

/** Starts a manual run of one of the project's pipelines at a branch, tag or sha, then opens it. */
export function StartRunForm({
  projectId,
  pipelines,
  defaultBranch,
  branches,
}: {
  projectId: string;
  pipelines: Pipeline[];
  defaultBranch: string;
  branches: string[];
}) {
  const { client } = useSession();
  const form = useForm<'pipeline' | 'git_ref' | 'variables'>('start', {
    pipeline: pipelines[0]?.id ?? '',
    git_ref: defaultBranch,
    variables: '',
  });
  const { values, problems } = form;
  const submit = form.submit(
    (v) => ({
      ...(v.pipeline ? {} : { pipeline: 'choose a pipeline' }),
      ...check(v, { git_ref: rules.gitRef('git_ref'), variables: (text) => parseVariables(text).problem }),
    }),
    async (v) => {
      const run = await client.post<{ id: string }>(
        `/api/projects/${projectId}/pipelines/${v.pipeline}/runs`,
        {
          git_ref: v.git_ref,
          ...(v.variables.trim() ? { variables: parseVariables(v.variables).variables } : {}),
        },
      );
      location.hash = href({ page: 'run', projectId, runId: run.id });
    },
  );
  return (
    <details class="start-run">
      <summary>Start a run</summary>
      <form class="form inline-form" onSubmit={submit} noValidate aria-label="Start a run">
        <Field id="start-pipeline" label="Pipeline" problem={problems.pipeline}>
          <select
            {...described('start-pipeline', false, problems.pipeline)}
            value={values.pipeline}
            onChange={form.set('pipeline')}
          >
            {pipelines.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="start-git_ref" label="Branch, tag or commit" problem={problems.git_ref}>
          <input
            {...described('start-git_ref', false, problems.git_ref)}
            type="text"
            list="start-branches"
            value={values.git_ref}
            onInput={form.set('git_ref')}
            spellcheck={false}
          />
        </Field>
        <datalist id="start-branches">
          {branches.map((b) => (
            <option key={b} value={b} />
          ))}
        </datalist>
        <Field
          id="start-variables"
          label="Variables (optional)"
          hint="One NAME=value a line; every step gets them in its environment."
          problem={problems.variables}
        >
          <textarea
            {...described('start-variables', true, problems.variables)}
            rows={3}
            value={values.variables}
            onInput={form.set('variables')}
            spellcheck={false}
          />
        </Field>
        <FormFooter error={form.error} busy={form.busy} label="Start run" busyLabel="Starting…" />
      </form>
    </details>
  );
}
