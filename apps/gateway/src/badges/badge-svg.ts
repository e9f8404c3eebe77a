const COLORS: Record<string, string> = {
  succeeded: '#2e7d32',
  failed: '#c62828',
  cancelled: '#8a5a00',
  running: '#0b5cad',
  queued: '#5b6270',
  waiting: '#8a5a00',
};
const UNKNOWN = '#5b6270';
// Verdana 11px averages about 6.5 px a character; badges are short, so this is close enough.
const CHAR_PX = 6.5;
const PAD_PX = 10;

/** A flat two-part status badge (label | status) as SVG, with the text escaped and a title for screen readers. */
export function badgeSvg(label: string, status: string): string {
  const left = width(label);
  const right = width(status);
  const total = left + right;
  const color = COLORS[status] ?? UNKNOWN;
  const [l, s] = [escapeXml(label), escapeXml(status)];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="${l}: ${s}">
<title>${l}: ${s}</title>
<rect width="${left}" height="20" fill="#555"/>
<rect x="${left}" width="${right}" height="20" fill="${color}"/>
<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="${left / 2}" y="14">${l}</text>
<text x="${left + right / 2}" y="14">${s}</text>
</g>
</svg>
`;
}

function width(text: string): number {
  return Math.round(text.length * CHAR_PX + 2 * PAD_PX);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
