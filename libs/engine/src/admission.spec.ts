import { admits, competition, competitionOf, CountRuns, hasLimits, queuePosition, RunCountFilter } from './admission';

interface Row {
  projectId: string;
  status: 'running' | 'queued';
  createdAt: Date;
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

/** Counts rows like the database would, and records what was asked. */
function counter(rows: Row[]): CountRuns & { asked: RunCountFilter[] } {
  const asked: RunCountFilter[] = [];
  const count = async (f: RunCountFilter) => {
    asked.push(f);
    return rows.filter(
      (r) =>
        r.status === f.status &&
        (!f.projectId || r.projectId === f.projectId) &&
        (!f.createdBefore || r.createdAt < f.createdBefore),
    ).length;
  };
  return Object.assign(count, { asked });
}

describe('run admission', () => {
  const mine = { projectId: 'a', createdAt: at(10) };

  it('admits everything and counts nothing without limits', async () => {
    const count = counter([{ projectId: 'a', status: 'running', createdAt: at(1) }]);
    const limits = { maxActive: 0, projectLimit: null };
    expect(hasLimits(limits)).toBe(false);
    const c = await competition(count, mine, limits);
    expect(admits(limits, c)).toBe(true);
    expect(queuePosition(c)).toBe(1);
    expect(count.asked).toEqual([]);
  });

  it.each([
    ['starts in a free global slot', 2, null, [['b', 'running']], true],
    ['waits under a full global limit', 2, null, [['b', 'running'], ['c', 'queued']], false],
    ['starts in a free project slot', 0, 1, [['b', 'running']], true],
    ['waits under a full project limit', 0, 1, [['a', 'queued']], false],
    ['waits under a full global limit with a project slot free', 1, 5, [['b', 'running']], false],
    ['waits under a full project limit with a global slot free', 5, 1, [['a', 'running']], false],
  ] as const)('%s', async (_name, maxActive, projectLimit, others, expected) => {
    const rows = others.map(([projectId, status]) => ({ projectId, status, createdAt: at(1) }));
    const limits = { maxActive, projectLimit };
    expect(admits(limits, await competition(counter(rows), mine, limits))).toBe(expected);
  });

  it('does not count queued runs created after the run', async () => {
    const rows: Row[] = [{ projectId: 'a', status: 'queued', createdAt: at(20) }];
    const limits = { maxActive: 1, projectLimit: 1 };
    const c = await competition(counter(rows), mine, limits);
    expect(admits(limits, c)).toBe(true);
    expect(queuePosition(c)).toBe(1);
  });

  it('places a run behind the global queue even when its project has a limit of its own', async () => {
    const rows: Row[] = [
      { projectId: 'b', status: 'queued', createdAt: at(1) },
      { projectId: 'c', status: 'queued', createdAt: at(2) },
      { projectId: 'a', status: 'queued', createdAt: at(3) },
    ];
    const c = await competition(counter(rows), mine, { maxActive: 2, projectLimit: 1 });
    expect(queuePosition(c)).toBe(4);
  });

  it('places a run behind its project only when only the project has a limit', async () => {
    const rows: Row[] = [
      { projectId: 'b', status: 'queued', createdAt: at(1) },
      { projectId: 'a', status: 'queued', createdAt: at(3) },
    ];
    const c = await competition(counter(rows), mine, { maxActive: 0, projectLimit: 1 });
    expect(queuePosition(c)).toBe(2);
  });

  it.each([
    ['no limit', 0, null],
    ['a global limit', 2, null],
    ['a project limit', 0, 1],
    ['both limits', 2, 1],
  ] as const)('takes the same slot use from counts taken at once as from counts asked for, under %s', async (_name, maxActive, projectLimit) => {
    const rows: Row[] = [
      { projectId: 'a', status: 'running', createdAt: at(1) },
      { projectId: 'b', status: 'running', createdAt: at(2) },
      { projectId: 'b', status: 'queued', createdAt: at(3) },
      { projectId: 'a', status: 'queued', createdAt: at(4) },
      { projectId: 'a', status: 'queued', createdAt: at(20) },
    ];
    const limits = { maxActive, projectLimit };
    const use = { global: { running: 2, queuedAhead: 2 }, project: { running: 1, queuedAhead: 1 } };
    expect(competitionOf(limits, use)).toEqual(await competition(counter(rows), mine, limits));
  });
});
