import { badgeSvg } from './badge-svg';

describe('badgeSvg', () => {
  it('draws the label and the status in the status colour, titled for screen readers', () => {
    const svg = badgeSvg('build', 'succeeded');
    expect(svg).toContain('<title>build: succeeded</title>');
    expect(svg).toContain('fill="#2e7d32"');
    expect(svg).toMatch(/^<svg [^>]*role="img"/);
  });

  it('escapes names that would break the markup', () => {
    const svg = badgeSvg('<script>&"x"', 'no runs');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;&#38;&#34;x&#34;');
    expect(svg).toContain('fill="#5b6270"');
  });
});
