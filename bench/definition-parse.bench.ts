// Parses and validates a generated 500-step .platform.yaml, against a bare js-yaml load of the
// same text as the baseline: the difference is what positions, validation and the DAG checks cost.
import { parseDefinition } from '@kiln/definition';
import { load } from 'js-yaml';
import { BenchResult } from './support/result';
import { runStandalone } from './support/standalone';

const STEPS = 500;
const LAYERS = 10;
const WARMUP = 10;
const ITERATIONS = 100;

/** A layered DAG like a real monorepo pipeline: each step needs one to three steps of the layer before. */
export function generateDefinition(steps = STEPS): string {
  let seed = 42;
  const random = (n: number): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const perLayer = Math.ceil(steps / LAYERS);
  const lines = ['pipeline:', '  fail_fast: false', '  steps:'];
  for (let i = 0; i < steps; i++) {
    const layer = Math.floor(i / perLayer);
    const previous = Array.from({ length: perLayer }, (_, k) => (layer - 1) * perLayer + k);
    const deps =
      layer === 0
        ? []
        : [...new Set(Array.from({ length: 1 + random(3) }, () => previous[random(previous.length)]))];
    lines.push(
      `    - name: step-${i}`,
      `      image: node:20`,
      `      commands: ["npm ci", "npm run task -- --shard=${i}"]`,
      `      environment: { SHARD: "${i}", TOKEN: "\${{ secrets.NPM_TOKEN }}" }`,
      `      depends_on: [${deps.map((d) => `step-${d}`).join(', ')}]`,
      `      timeout: ${10 + random(50)}m`,
      `      resources: { cpu: "${1 + random(4)}", memory: ${256 * (1 + random(8))}Mi }`,
    );
  }
  lines.push(
    '  artifacts:',
    '    - { name: reports, path: out/reports/, expires: 7d }',
    '  on:',
    '    push: { branches: [main, "release/**"], tags: ["v*"] }',
    '    mr: { actions: [opened, synchronized] }',
    '    schedule: "0 3 * * *"',
  );
  return `${lines.join('\n')}\n`;
}

function measure(iterations: number, fn: () => void): { mean: number; p99: number } {
  for (let i = 0; i < WARMUP; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((sum, s) => sum + s, 0) / samples.length;
  const p99 = samples[Math.min(samples.length - 1, Math.ceil(samples.length * 0.99) - 1)];
  return { mean, p99 };
}

export async function run(): Promise<BenchResult[]> {
  const source = generateDefinition();
  const check = parseDefinition(source);
  if (!check.ok) throw new Error(`generated definition is invalid: ${check.errors[0].message}`);
  if (check.definition.steps.length !== STEPS) throw new Error(`expected ${STEPS} steps`);

  const full = measure(ITERATIONS, () => parseDefinition(source));
  const bare = measure(ITERATIONS, () => load(source));
  const round = (ms: number): number => Math.round(ms * 1000) / 1000;
  return [
    {
      name: 'definition parse+validate, 500 steps, mean',
      value: round(full.mean),
      unit: 'ms',
      baseline: { name: 'js-yaml load, same file, mean', value: round(bare.mean) },
    },
    {
      name: 'definition parse+validate, 500 steps, p99',
      value: round(full.p99),
      unit: 'ms',
      baseline: { name: 'js-yaml load, same file, p99', value: round(bare.p99) },
    },
    { name: 'definition bench file size', value: Math.round(Buffer.byteLength(source) / 1024), unit: 'KiB' },
  ];
}

if (require.main === module) runStandalone(run);
