import {
  createGitRepo,
  finishedWithLogs,
  Platform,
  RunJson,
  startPlatform,
  TestGitRepo,
  testDocker,
} from '@kiln/testing';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { circleCiTestImages } from './circleci-images';

const CORPUS = join(__dirname, '../../libs/definition/src/circleci/corpus');
const corpusFile = (name: string) => readFileSync(join(CORPUS, name), 'utf8');

/**
 * Real CircleCI configs from the corpus, committed verbatim as `.circleci/config.yml`, imported
 * by the scheduler and run on the docker backend. Their images are busybox tagged under the
 * names the configs use, with stand-ins for the tools they call (circleci-images.ts).
 */
describe('CircleCI configs run end to end on the docker backend', () => {
  let platform: Platform;
  let repo: TestGitRepo;
  let projectId: string;

  beforeAll(async () => {
    await circleCiTestImages(testDocker());
    platform = await startPlatform({
      KILN_EXECUTOR_BACKEND: 'docker',
      KILN_DOCKER_PULL_POLICY: 'if-not-present',
      // medium+ is 3 CPUs in the built-in table, more than a 2-core test machine gives a container.
      KILN_CIRCLECI_RESOURCE_CLASSES: '{"medium+":{"cpu":"1","memory":"256Mi"}}',
    });
    repo = createGitRepo();
    repo.commit({ 'README.md': 'circleci import\n' });
    projectId = (await platform.createProject({ name: `circleci-${randomUUID().slice(0, 8)}`, repo })).id;
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    repo?.remove();
  });

  /** Commits `config` on a branch of its own, makes it a pipeline and runs it `times` times. */
  async function runConfig(
    config: string,
    files: Record<string, string> = {},
    times = 1,
  ): Promise<RunJson[]> {
    const branch = `ci-${randomUUID().slice(0, 8)}`;
    repo.commit({ ...files, '.circleci/config.yml': corpusFile(config) }, `import ${config}`, branch);
    const pipelineId = await platform.createPipeline(projectId, {
      name: `p-${randomUUID().slice(0, 8)}`,
      config_path: '.circleci/config.yml',
    });
    const runs: RunJson[] = [];
    for (let i = 0; i < times; i++) {
      const started = await platform.startRun(projectId, pipelineId, branch);
      runs.push(await platform.waitForRun(projectId, started.id, finishedWithLogs, 150_000));
    }
    return runs;
  }

  const statuses = (run: RunJson) => Object.fromEntries(run.steps.map((s) => [s.name, s.status]));

  it('expands job parameters per workflow, maps resource_class through the operator table and restores the cache on a second run', async () => {
    const [run, again] = await runConfig(
      'DataDog__serverless-plugin-datadog.yml',
      { 'package.json': '{"name":"x"}\n' },
      2,
    );
    expect(run.error).toBeNull();
    expect(statuses(run)).toEqual({
      'node-v1015.verify_build': 'succeeded',
      'node-v127.verify_build': 'succeeded',
    });
    expect(run.steps.map((s) => s.image).sort()).toEqual(['circleci/node:10.15', 'circleci/node:12.7']);
    const log = await platform.stepLog(projectId, run, 'node-v127.verify_build');
    for (const line of [
      'yarn install: done',
      'yarn build: ok',
      'yarn lint: ok',
      'yarn check-formatting: ok',
      'yarn test: ok',
    ])
      expect(log).toContain(line);
    // upload_coverage: "true" for this job only; codecov is out of reach, so the config's fallback runs.
    expect(log).toContain('Skipping coverage upload');
    const [row] = await platform.query<{
      definition: { steps: Array<{ name: string; resources: unknown; cache: unknown }> };
    }>('SELECT definition FROM runs WHERE id = $1', [run.id]);
    const step = row.definition.steps.find((s) => s.name === 'node-v1015.verify_build');
    expect(step?.resources).toEqual({ cpu: '1', memory: '256Mi' });
    expect(step?.cache).toEqual([
      {
        key: 'v1-dependencies-10.15-{{ checksum "package.json" }}',
        restoreKeys: ['v1-dependencies-10.15-'],
        paths: ['node_modules'],
      },
    ]);
    // The executor restores and saves caches: the first run misses, the second restores. (Whether
    // node_modules is already there says nothing: the run's jobs share one workspace, and another
    // node version's job may have installed it first.)
    const key = /v1-dependencies-10\.15-[0-9a-f]+/;
    const first = await platform.stepLog(projectId, run, 'node-v1015.verify_build');
    expect(first).toMatch(new RegExp(`cache miss: ${key.source}`));
    expect(again.status).toBe('succeeded');
    const second = await platform.stepLog(projectId, again, 'node-v1015.verify_build');
    expect(second).toMatch(new RegExp(`cache restored from key ${key.source}`));
  });

  it('shares the workspace between jobs as persist_to_workspace/attach_workspace do', async () => {
    const [run] = await runConfig('rubocop__rubocop.yml');
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    const specs = [
      'ruby-2.7-spec',
      'ruby-3.0-spec',
      'ruby-3.1-spec',
      'ruby-3.2-spec',
      'ruby-3.3-spec',
      'ruby-head-spec',
    ];
    expect(statuses(run)).toEqual(
      Object.fromEntries(['cc-setup', ...specs, 'cc-upload-coverage'].map((name) => [name, 'succeeded'])),
    );
    const upload = run.steps.find((s) => s.name === 'cc-upload-coverage');
    expect(upload?.depends_on.sort()).toEqual(specs.filter((s) => s !== 'ruby-head-spec'));
    // The reporter cc-setup downloaded into tmp/ is what every spec job runs.
    const spec = await platform.stepLog(projectId, run, 'ruby-3.1-spec');
    expect(spec).toContain('reporter: before-build');
    expect(spec).toContain('rake spec: 0 failures (COVERAGE=true TEST_QUEUE_WORKERS=2)');
    const summary = await platform.stepLog(projectId, run, 'cc-upload-coverage');
    expect(summary).toMatch(/reporter: summed [1-9]\d* file\(s\) into tmp\/codeclimate\.total\.json/);
    expect(summary).toContain('reporter: uploaded tmp/codeclimate.total.json');
  });

  it('starts secondary images as services on localhost and skips the schedule-only workflow on a manual run', async () => {
    const [run] = await runConfig('DataDog__opencensus-go-exporter-datadog.yml');
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    expect(statuses(run)).toEqual({
      'commit-workflow.build': 'succeeded',
      'scheduled-workflow.build': 'skipped',
    });
    const log = await platform.stepLog(projectId, run, 'commit-workflow.build');
    expect(log).toContain('go get: ok');
    expect(log).toContain('golint: 1 package(s) clean');
    expect(log).toContain('go test: agent reachable on 127.0.0.1:8126 (INTEGRATION=1)');
  });
});
