import { OutputLine } from './backend';

/** One service's output, to be shown in its step's log. */
export interface ServiceOutput {
  name: string;
  lines: AsyncIterable<OutputLine>;
}

/**
 * How long after the step's output ends its services' lines are still taken: what a service
 * wrote while the step ran can reach its log stream a little later than the step's own (another
 * container's stream, a busy engine). Lines after that (a database's shutdown) are not the step's.
 */
export const SERVICE_LINES_GRACE_MS = 300;

/**
 * The step's output with its services' lines in between, each prefixed `[<service>] `, oldest
 * first among the lines read. Each source is read one line ahead at most, so a slow log reader
 * still holds every container back. Ends with the step's own output and what its services write
 * within SERVICE_LINES_GRACE_MS of that.
 */
export async function* withServiceLines(
  step: AsyncIterable<OutputLine>,
  services: ServiceOutput[],
): AsyncIterable<OutputLine> {
  const merge = new LineMerge([
    { prefix: '', iterator: step[Symbol.asyncIterator]() },
    ...services.map((s) => ({ prefix: `[${s.name}] `, iterator: s.lines[Symbol.asyncIterator]() })),
  ]);
  for (;;) {
    const line = merge.oldest();
    if (line) yield line;
    else if (merge.stepEnded) break;
    else await merge.next();
  }
  // What the services wrote until the step ended: the lines read already or arriving within the grace.
  const until = Date.now() + SERVICE_LINES_GRACE_MS;
  for (;;) {
    const line = merge.oldest();
    if (line) yield line;
    else if (!(await merge.next(until - Date.now()))) return;
  }
}

interface Source {
  prefix: string;
  iterator: AsyncIterator<OutputLine>;
}

/** The sources' next lines as they arrive; source 0 is the step. */
class LineMerge {
  stepEnded = false;
  private readonly ready = new Map<number, OutputLine>();
  private readonly reading = new Map<number, Promise<void>>();

  constructor(private readonly sources: Source[]) {
    sources.forEach((_, index) => this.read(index));
  }

  /** Takes the oldest line read (the step's on a tie), asking its source for the next one. */
  oldest(): OutputLine | undefined {
    let pick: number | undefined;
    for (const [index, line] of this.ready) if (pick === undefined || line.ts < this.ready.get(pick)!.ts) pick = index;
    if (pick === undefined) return undefined;
    const line = this.ready.get(pick)!;
    this.ready.delete(pick);
    this.read(pick);
    const prefix = this.sources[pick].prefix;
    return prefix ? { ...line, text: prefix + line.text.replaceAll('\n', `\n${prefix}`) } : line;
  }

  /** Waits until a source answers; with `withinMs`, for that long at most (false then, or when none is left). */
  async next(withinMs?: number): Promise<boolean> {
    const waits = [...this.reading.values()];
    if (waits.length === 0) return false;
    if (withinMs === undefined) {
      await Promise.race(waits);
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, Math.max(0, withinMs), false)));
    try {
      return await Promise.race([...waits.map((wait) => wait.then(() => true)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private read(index: number): void {
    const reading = this.sources[index].iterator.next().then((result) => {
      this.reading.delete(index);
      if (!result.done) this.ready.set(index, result.value);
      else if (index === 0) this.stepEnded = true;
    });
    this.reading.set(index, reading);
  }
}
