import { OutputLine } from './backend';

type Read = { index: number; result: IteratorResult<OutputLine> };

/** One service's output, to be shown in its step's log. */
export interface ServiceOutput {
  name: string;
  lines: AsyncIterable<OutputLine>;
}

/**
 * The step's output with its services' lines in between, each prefixed `[<service>] `, in the
 * order they were read. Each source is read one line ahead at most, so a slow log reader still
 * holds every container back. Ends with the step's own output: service lines already read by
 * then are kept, later ones (a database's shutdown) are not part of the step.
 */
export async function* withServiceLines(
  step: AsyncIterable<OutputLine>,
  services: ServiceOutput[],
): AsyncIterable<OutputLine> {
  const sources = [
    { prefix: '', iterator: step[Symbol.asyncIterator]() },
    ...services.map((service) => ({ prefix: `[${service.name}] `, iterator: service.lines[Symbol.asyncIterator]() })),
  ];
  const read = (index: number): Promise<Read> =>
    sources[index].iterator.next().then((result) => ({ index, result }));
  const pending = new Map<number, Promise<Read>>(sources.map((_, index) => [index, read(index)]));
  while (pending.has(0)) {
    const { index, result } = await Promise.race(pending.values());
    if (result.done) {
      pending.delete(index);
      continue;
    }
    pending.set(index, read(index));
    yield prefixed(result.value, sources[index].prefix);
  }
  yield* readyLines(pending, read, sources.map((source) => source.prefix));
}

/** The service lines that are read already or arrive within one turn of the event loop. */
async function* readyLines(
  pending: Map<number, Promise<Read>>,
  read: (index: number) => Promise<Read>,
  prefixes: string[],
): AsyncIterable<OutputLine> {
  while (pending.size > 0) {
    const turn = new Promise<undefined>((resolve) => setImmediate(resolve, undefined));
    const next = await Promise.race([...pending.values(), turn]);
    if (!next) return;
    if (next.result.done) {
      pending.delete(next.index);
      continue;
    }
    pending.set(next.index, read(next.index));
    yield prefixed(next.result.value, prefixes[next.index]);
  }
}

function prefixed(line: OutputLine, prefix: string): OutputLine {
  return prefix ? { ...line, text: prefix + line.text } : line;
}
