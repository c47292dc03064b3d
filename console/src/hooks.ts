import { useCallback, useEffect, useRef, useState } from 'react';

export interface Loaded<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` now and whenever `deps` change or reload() is called; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const run = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => run === latest.current && setState({ data, loading: false }),
      (error: unknown) => run === latest.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** Wraps an action: tracks its running state and error, and calls onDone with its result. */
export function useAction<A extends unknown[], R>(
  action: (...args: A) => Promise<R>,
  onDone?: (r: R) => void,
) {
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(
    async (...args: A) => {
      setRunning(true);
      setError(undefined);
      try {
        const result = await action(...args);
        onDone?.(result);
        return result;
      } catch (err) {
        setError(err);
        return undefined;
      } finally {
        setRunning(false);
      }
    },
    [action, onDone],
  );
  return { run, running, error, clearError: () => setError(undefined) };
}
