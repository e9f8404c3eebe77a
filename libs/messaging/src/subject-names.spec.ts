import { routeOf, streamStoring, subjectMatches, SubjectNames, withSuffix } from './subject-names';

describe('subject names', () => {
  it('prefixes subjects as given and stream or durable names with underscores', () => {
    const names = new SubjectNames('t3f9a');
    expect(names.subject('kiln.run.requested')).toBe('t3f9a.kiln.run.requested');
    expect(names.unprefix('t3f9a.kiln.logs.r.s')).toBe('kiln.logs.r.s');
    expect(names.stream('KILN_EVENTS')).toBe('t3f9a_KILN_EVENTS');
    expect(names.durable('scheduler-runs')).toBe('t3f9a_scheduler-runs');
    expect(new SubjectNames().subject('kiln.run.cancel')).toBe('kiln.run.cancel');
  });

  it('refuses a prefix with wildcards or spaces', () => {
    expect(() => new SubjectNames('a.*.')).toThrow(/invalid messaging prefix/);
    expect(() => new SubjectNames('a b')).toThrow(/invalid messaging prefix/);
  });

  it('routes suffixed subjects to their wildcard', () => {
    expect(routeOf('kiln.logs')).toMatchObject({ filter: 'kiln.logs.>', stream: { name: 'KILN_LOGS' } });
    expect(routeOf('kiln.step.dispatched')).toMatchObject({ filter: 'kiln.step.dispatched' });
    expect(streamStoring('kiln.logs.r1.s1').name).toBe('KILN_LOGS');
    expect(streamStoring('kiln.dead.kiln.run.requested').name).toBe('KILN_DEAD');
    expect(() => streamStoring('kiln.nothing')).toThrow(/no stream/);
  });

  it('matches NATS wildcards', () => {
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.*', 'a.b.c')).toBe(false);
    expect(subjectMatches('a.b', 'a.b')).toBe(true);
  });

  it('validates suffix tokens', () => {
    expect(withSuffix('kiln.logs', 'r.s')).toBe('kiln.logs.r.s');
    expect(() => withSuffix('kiln.logs', 'r..s')).toThrow(/invalid subject suffix/);
    expect(() => withSuffix('kiln.logs', '>')).toThrow(/invalid subject suffix/);
  });
});
