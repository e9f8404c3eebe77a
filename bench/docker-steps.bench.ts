// The docker backend: wall time per step of the run-throughput pipeline (build, then test and lint)
// at executor concurrency 1 against a bare `docker run --rm --network none` of the same image and
// command (the CLI as an operator would time it), so what is left is the platform's overhead on
// this backend (events, database, checkout copied into the run volume, the run's helper
// container, logs, archiving). Runs per minute at concurrency 4 as well. Goal (issue 14): < 50 ms.
import { busyboxTestImage, testDocker } from '@kiln/testing';
import { spawn } from 'node:child_process';
import { platformRuns } from './run-throughput.bench';
import { BenchContext, BenchResult, scaled } from './support/result';
import { runStandalone } from './support/standalone';
import { startStack } from './support/stack';
import { round } from './support/stats';

const IMAGE = 'kiln-test/busybox:1';
const RUNS = 60;
const STEPS = ['build', 'test', 'lint'];
const DEFINITION = `pipeline:
  steps:
    - name: build
      image: ${IMAGE}
      commands: ["echo build"]
    - name: test
      image: ${IMAGE}
      depends_on: [build]
      commands: ["echo test"]
    - name: lint
      image: ${IMAGE}
      depends_on: [build]
      commands: ["echo lint"]
`;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const runs = scaled(ctx, RUNS, 5);
  await busyboxTestImage(testDocker(), IMAGE);
  const bare = await bareDockerRunMs(scaled(ctx, 30, 5));
  ctx.log(`docker-steps: bare docker run ${round(bare)} ms`);
  const stack = await startStack({ executor: false });
  try {
    const project = await stack.createProject({ '.platform.yaml': DEFINITION });
    const results: BenchResult[] = [];
    let perStep = 0;
    for (const concurrency of [1, 4]) {
      await stack.startExecutor({
        KILN_EXECUTOR_BACKEND: 'docker',
        KILN_EXECUTOR_CAPACITY: String(concurrency),
      });
      const { minutes, failed } = await platformRuns(stack.sql, project, runs);
      ctx.log(`docker-steps: platform at ${concurrency}: ${round(runs / minutes)} runs/min`);
      if (concurrency === 1) perStep = (minutes * 60_000) / (runs * STEPS.length);
      results.push({
        name: `docker backend runs/min, 3 steps, executor concurrency ${concurrency}`,
        value: round(runs / minutes),
        unit: 'runs/min',
        ...(failed > 0 ? { note: `${failed} runs did not succeed` } : {}),
      });
    }
    results.push(
      {
        name: 'docker backend wall time per step at concurrency 1',
        value: round(perStep),
        unit: 'ms',
        baseline: { name: 'bare docker run --rm of the same image and command', value: round(bare) },
      },
      {
        name: 'docker backend platform overhead per step',
        value: round(perStep - bare),
        unit: 'ms',
        note: 'wall time per step at concurrency 1 minus a bare docker run; goal < 50 ms',
      },
    );
    return results;
  } finally {
    await stack.stop();
  }
}

/** Mean wall time of `docker run --rm --network none IMAGE sh -c 'echo build'`, one after another. */
async function bareDockerRunMs(count: number): Promise<number> {
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('docker', ['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'echo build'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let errors = '';
      child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`docker run exited ${code}: ${errors}`)),
      );
    });
  await once();
  const started = performance.now();
  for (let i = 0; i < count; i++) await once();
  return (performance.now() - started) / count;
}

if (require.main === module) runStandalone(run);
