import { useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: Error | null;
  reload(): void;
}

/**
 * Loads data now and again every `intervalMs` (null: not again) while the page is visible, so
 * pages update live without reloads. A change in `deps` starts over.
 */
export function usePoll<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: unknown[],
  intervalMs: (data: T | undefined) => number | null,
): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [tick, setTick] = useState(0);
  const latest = useRef<T | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.hidden) {
        timer = setTimeout(run, 1000);
        return;
      }
      try {
        const value = await load(controller.signal);
        if (controller.signal.aborted) return;
        latest.current = value;
        setData(value);
        setError(null);
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(e as Error);
      }
      const next = intervalMs(latest.current);
      if (next !== null && !controller.signal.aborted) timer = setTimeout(run, next);
    };
    void run();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [...deps, tick]);

  return { data, error, reload: () => setTick((t) => t + 1) };
}

/** Re-renders every `ms` (running durations, "5s ago"). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Kiln`;
  }, [title]);
}
