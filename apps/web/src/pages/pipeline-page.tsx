import { useState } from 'preact/hooks';
import { Pipeline, PipelineInput, Project } from '@kiln/api-wire';
import { LoadState } from '../components/load-state';
import { YamlEditor } from '../components/yaml-editor';
import { Field, FormFooter, TextField } from '../forms/field';
import { check, rules } from '../forms/rules';
import { useForm } from '../forms/use-form';
import { usePoll, useTitle } from '../hooks';
import { href } from '../routes';
import { useSession } from '../session';

const STARTER = `pipeline:
  steps:
    - name: build
      image: node:20
      commands:
        - echo "hello from kiln"
`;

/** Creates a pipeline (pipelineId null) or edits one: inline definition, or a path in the repository. */
export function PipelinePage({ projectId, pipelineId }: { projectId: string; pipelineId: string | null }) {
  const { client } = useSession();
  const project = usePoll(
    () => client.get<Project>(`/api/projects/${projectId}`),
    [client, projectId],
    () => null,
  );
  const pipeline = usePoll(
    () =>
      pipelineId
        ? client.get<Pipeline>(`/api/projects/${projectId}/pipelines/${pipelineId}`)
        : Promise.resolve(null),
    [client, projectId, pipelineId],
    () => null,
  );
  useTitle(pipelineId ? `Pipeline ${pipeline.data?.name ?? ''}` : 'New pipeline');
  if (pipeline.data === undefined) return <LoadState error={pipeline.error} loading what="the pipeline" />;
  return (
    <section aria-labelledby="pipeline-title">
      <nav aria-label="Breadcrumb" class="crumbs">
        <a href="#/">Projects</a> <span aria-hidden="true">/</span>{' '}
        <a href={href({ page: 'pipelines', projectId })}>{project.data?.name ?? 'Project'}</a>{' '}
        <span aria-hidden="true">/</span> {pipeline.data?.name ?? 'New pipeline'}
      </nav>
      <h1 id="pipeline-title">{pipeline.data ? `Pipeline ${pipeline.data.name}` : 'New pipeline'}</h1>
      <PipelineForm key={pipelineId ?? 'new'} projectId={projectId} pipeline={pipeline.data} />
    </section>
  );
}

type Key = 'name' | 'description' | 'source' | 'yaml_config' | 'config_path';

function PipelineForm({ projectId, pipeline }: { projectId: string; pipeline: Pipeline | null }) {
  const { client } = useSession();
  const [saved, setSaved] = useState(false);
  const [deleting, setDeleting] = useState<string | null>(null);
  const form = useForm<Key>('pipeline', {
    name: pipeline?.name ?? '',
    description: pipeline?.description ?? '',
    source: pipeline?.source === 'repository' ? 'repository' : 'inline',
    yaml_config: pipeline?.yaml_config ?? STARTER,
    config_path: pipeline?.config_path ?? '.platform.yaml',
  });
  const { values, problems } = form;
  const inline = values.source === 'inline';
  const base = `/api/projects/${projectId}/pipelines`;

  const submit = form.submit(
    (v) =>
      check(v, {
        name: rules.name,
        description: rules.length('description', 0, 1000),
        ...(inline
          ? { yaml_config: rules.length('yaml_config', 1, 1024 * 1024) }
          : { config_path: rules.configPath }),
      }),
    async (v) => {
      const body: PipelineInput = {
        name: v.name,
        description: v.description || (pipeline ? null : undefined),
        ...(inline ? { yaml_config: v.yaml_config } : { config_path: v.config_path }),
      };
      if (!inline && pipeline) body.yaml_config = null;
      setSaved(false);
      if (pipeline) {
        await client.put<Pipeline>(`${base}/${pipeline.id}`, body);
        setSaved(true);
      } else {
        const created = await client.post<Pipeline>(base, body);
        location.hash = href({ page: 'pipeline', projectId, pipelineId: created.id });
      }
    },
  );

  const remove = async () => {
    if (!pipeline || !confirm(`Delete the pipeline ${pipeline.name}? Its runs stay listed.`)) return;
    try {
      await client.delete(`${base}/${pipeline.id}`);
      location.hash = href({ page: 'pipelines', projectId });
    } catch (e) {
      setDeleting((e as Error).message);
    }
  };

  return (
    <form
      class="form wide"
      onSubmit={submit}
      noValidate
      aria-label={pipeline ? 'Edit pipeline' : 'New pipeline'}
    >
      <TextField
        id="pipeline-name"
        label="Name"
        value={values.name}
        onInput={form.set('name')}
        problem={problems.name}
        required
      />
      <TextField
        id="pipeline-description"
        label="Description (optional)"
        value={values.description}
        onInput={form.set('description')}
        problem={problems.description}
      />
      <fieldset class="choices">
        <legend>Definition</legend>
        <label class="inline">
          <input
            type="radio"
            name="source"
            value="inline"
            checked={inline}
            onChange={() => form.setValue('source', 'inline')}
          />
          Written here
        </label>
        <label class="inline">
          <input
            type="radio"
            name="source"
            value="repository"
            checked={!inline}
            onChange={() => form.setValue('source', 'repository')}
          />
          Read from the repository at each commit
        </label>
      </fieldset>
      {inline ? (
        <Field id="pipeline-yaml_config" label="Definition (.platform.yaml)" problem={problems.yaml_config}>
          <YamlEditor
            id="pipeline-yaml_config"
            value={values.yaml_config}
            onInput={(v) => form.setValue('yaml_config', v)}
            problem={problems.yaml_config}
          />
        </Field>
      ) : (
        <TextField
          id="pipeline-config_path"
          label="Path of the definition in the repository"
          value={values.config_path}
          onInput={form.set('config_path')}
          problem={problems.config_path}
          hint="Relative to the repository root, e.g. .platform.yaml or ci/build.yaml."
        />
      )}
      {saved && (
        <p class="notice-ok" role="status">
          Saved.
        </p>
      )}
      <FormFooter
        error={form.error}
        busy={form.busy}
        label={pipeline ? 'Save pipeline' : 'Create pipeline'}
        busyLabel="Saving…"
      />
      {pipeline && (
        <div class="actions">
          <a class="button secondary" href={href({ page: 'runs', projectId, filters: {} })}>
            Runs of the project
          </a>
          <button type="button" class="danger" onClick={remove}>
            Delete pipeline
          </button>
          {deleting && (
            <p class="error" role="alert">
              {deleting}
            </p>
          )}
        </div>
      )}
    </form>
  );
}
