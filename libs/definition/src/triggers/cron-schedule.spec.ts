import { cronProblem, cronWarning, nextScheduleTime } from '../index';

describe('cron schedules', () => {
  const from = new Date('2024-01-01T05:00:00Z');

  it.each([
    ['0 3 * * *', '2024-01-02T03:00:00.000Z'],
    ['*/15 * * * *', '2024-01-01T05:15:00.000Z'],
    ['0 9 * * MON-FRI', '2024-01-01T09:00:00.000Z'],
    ['@daily', '2024-01-02T00:00:00.000Z'],
    ['0 0 29 2 *', '2024-02-29T00:00:00.000Z'],
  ])('%s next fires at %s (UTC)', (cron, expected) => {
    expect(cronProblem(cron)).toBeUndefined();
    expect(cronWarning(cron)).toBeUndefined();
    expect(nextScheduleTime(cron, from)?.toISOString()).toBe(expected);
  });

  it('fires strictly after the given time', () => {
    expect(nextScheduleTime('0 5 * * *', from)?.toISOString()).toBe('2024-01-02T05:00:00.000Z');
  });

  it.each([
    ['61 * * * *', '"61 * * * *" is not a valid cron expression: invalid value for minute: 61'],
    ['* * * * * *', '"* * * * * *" must have 5 fields (minute hour day-of-month month day-of-week), not 6'],
    ['every day', '"every day" must have 5 fields (minute hour day-of-month month day-of-week), not 2'],
  ])('rejects %s', (cron, problem) => {
    expect(cronProblem(cron)).toBe(problem);
    expect(cronWarning(cron)).toBeUndefined();
    expect(nextScheduleTime(cron, from)).toBeNull();
  });

  it.each(['0 0 31 2 *', '0 0 30 2 *'])('accepts %s, which never fires, with a warning', (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
    expect(cronWarning(cron)).toBe(`"${cron}" never fires, so nothing runs on this schedule`);
    expect(nextScheduleTime(cron, from)).toBeNull();
  });
});
