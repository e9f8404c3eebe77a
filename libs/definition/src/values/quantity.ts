const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const SUFFIX_FACTOR: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * Parses a Kubernetes resource quantity (`500m`, `1`, `1.5`, `512Mi`, `1Gi`, `2e3`) into its
 * plain number (cores for CPU, bytes for memory). Returns undefined when it is not a quantity.
 */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX_FACTOR[suffix];
  const value = Number(number) * factor;
  return Number.isFinite(value) ? value : undefined;
}

/** Validation sentence for `resources.cpu`, or undefined when the value is fine. */
export function cpuProblem(text: string): string | undefined {
  const value = parseQuantity(text);
  if (value === undefined || /i$/.test(text)) {
    return `"${text}" is not a CPU quantity; use cores like "1", "0.5" or "500m"`;
  }
  if (value < 0.001) return `"${text}" is less than the smallest CPU amount, "1m"`;
  return undefined;
}

/** Validation sentence for `resources.memory`, or undefined when the value is fine. */
export function memoryProblem(text: string): string | undefined {
  const fraction = /^(\d+(?:\.\d+)?)([mnu])$/.exec(text);
  if (fraction) {
    if (fraction[2] !== 'm') return `"${text}" is a fraction of a byte`;
    return `"${text}" means ${fraction[1]} millibytes; did you mean "${fraction[1]}Mi"?`;
  }
  const mistaken = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpPeE])(i?)[bB]?$/.exec(text);
  const value = parseQuantity(text);
  if (value === undefined) {
    const hint = mistaken ? `; did you mean "${mistaken[1]}${mistaken[2].toUpperCase()}i"?` : '';
    return `"${text}" is not a memory quantity; use bytes with a unit like "512Mi" or "1Gi"${hint}`;
  }
  if (value < 1) return `"${text}" is less than one byte`;
  return undefined;
}
