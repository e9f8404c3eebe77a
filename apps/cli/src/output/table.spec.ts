import pc from 'picocolors';
import { formatBytes, formatDuration } from './format';
import { renderTable } from './table';

describe('terminal output', () => {
  it('aligns columns by what is visible, ignoring colour codes', () => {
    const colours = pc.createColors(true);
    const rows = [
      { name: 'build', status: colours.green('succeeded') },
      { name: 'integration-tests', status: colours.red('failed') },
    ];
    const lines = renderTable(rows, [
      { header: 'STEP', value: (r) => r.name },
      { header: 'STATUS', value: (r) => r.status },
    ])
      .split('\n')
      .map((line) => line.replace(/\x1b\[[0-9;]*m/g, '')); // eslint-disable-line no-control-regex
    expect(lines).toEqual([
      'STEP               STATUS',
      'build              succeeded',
      'integration-tests  failed',
    ]);
  });

  it('formats durations and sizes for humans', () => {
    expect([850, 4200, 184_000, 3_720_000].map(formatDuration)).toEqual([
      '850ms',
      '4.2s',
      '3m 04s',
      '1h 02m',
    ]);
    expect(formatDuration(null)).toBe('-');
    expect([512, 1536, 20 * 1024 * 1024].map(formatBytes)).toEqual(['512 B', '1.5 KB', '20.0 MB']);
  });
});
