import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { LogChunkEvent } from './events/log-chunk.event';
import { checkedLogChunk } from './log-chunk.fast-check';

const valid = () => ({
  version: 2,
  runId: randomUUID(),
  stepId: randomUUID(),
  stepName: 'build',
  attempt: 1,
  seq: 0,
  text: 'hello\n\n',
  spans: [
    { ts: Date.now(), stream: 'stdout', lines: 1 },
    { ts: Date.now(), stream: 'system', lines: 1 },
  ],
  final: true,
  exitCode: 0,
});

const oddValue = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    undefined,
    '',
    'x',
    'stdout',
    -1,
    0,
    1,
    1.5,
    2,
    NaN,
    true,
    [],
    {},
    'not-a-uuid',
  ),
  fc.uuid(),
  fc.string(),
  fc.integer(),
);

describe('checkedLogChunk', () => {
  it('accepts a valid chunk as the same instances class-transformer makes', () => {
    const data = valid();
    const fast = checkedLogChunk(data);
    expect(fast).toBeInstanceOf(LogChunkEvent);
    expect(fast).toEqual(plainToInstance(LogChunkEvent, data));
    expect(fast!.spans[0].constructor.name).toBe('LogSpan');
  });

  it('never accepts a chunk class-validator rejects', () => {
    const keys = [
      'version',
      'runId',
      'stepId',
      'stepName',
      'attempt',
      'seq',
      'final',
      'exitCode',
      'text',
      'spans',
    ];
    const spanKeys = ['ts', 'stream', 'lines'];
    fc.assert(
      fc.property(
        fc.constantFrom(...keys),
        oddValue,
        fc.constantFrom(...spanKeys),
        oddValue,
        fc.boolean(),
        (key, value, spanKey, spanValue, mutateSpan) => {
          const data: Record<string, unknown> = valid();
          if (mutateSpan) (data.spans as Record<string, unknown>[])[1][spanKey] = spanValue;
          else data[key] = value;
          const fast = checkedLogChunk(data);
          const errors = validateSync(plainToInstance(LogChunkEvent, data), { forbidUnknownValues: true });
          if (fast !== undefined) expect(errors).toEqual([]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
