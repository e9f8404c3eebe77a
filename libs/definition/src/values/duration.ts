const DURATION = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const UNIT_MS = [604_800_000, 86_400_000, 3_600_000, 60_000, 1000];

/**
 * Parses `45s`, `30m`, `1h30m`, `7d`, `2w` (units in descending order, each at most once) into
 * milliseconds. Returns undefined for anything else, including an empty string.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  let total = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    if (match[i + 1] !== undefined) total += Number(match[i + 1]) * UNIT_MS[i];
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The inverse of parseDuration for whole seconds, e.g. 5_400_000 -> "1h30m". */
export function formatDuration(ms: number): string {
  let rest = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, seconds] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const count = Math.floor(rest / seconds);
    rest -= count * seconds;
    if (count > 0) parts.push(`${count}${unit}`);
  }
  return parts.length > 0 ? parts.join('') : '0s';
}

/** Validation sentence for a duration field, or undefined when the value is fine. */
export function durationProblem(text: string): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) {
    if (/^\d+$/.test(text))
      return `"${text}" has no unit; write "${text}m" for minutes or "${text}s" for seconds`;
    return `"${text}" is not a duration; use a number with a unit, like 45s, 30m, 1h30m, 7d or 2w`;
  }
  if (ms === 0) return 'must be longer than 0s';
  return undefined;
}
