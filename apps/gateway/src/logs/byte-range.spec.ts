import { parseRange } from './byte-range';

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', { kind: 'range', start: 0, end: 9 }],
    ['bytes=90-', { kind: 'range', start: 90, end: 99 }],
    ['bytes=-10', { kind: 'range', start: 90, end: 99 }],
    ['bytes=-1000', { kind: 'range', start: 0, end: 99 }],
    ['bytes=50-5000', { kind: 'range', start: 50, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=9-1', { kind: 'none' }],
    ['bytes=0-1,5-6', { kind: 'none' }],
    ['lines=1-2', { kind: 'none' }],
    ['bytes=-', { kind: 'none' }],
  ])('reads %s of a 100-byte log', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });

  it('serves the whole log without a header', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'none' });
  });
});
