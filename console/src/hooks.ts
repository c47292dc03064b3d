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

export interface PageOf<T> {
  items: T[];
  /** The token of the next page; empty or absent on the last one. */
  next?: string;
}

/**
 * A list loaded page by page: the first page whenever `deps` change (dropping pages loaded before), the next
 * ones on loadMore(), following the API's page tokens.
 */
export function usePaged<T>(load: (pageToken: string) => Promise<PageOf<T>>, deps: unknown[]) {
  const first = useLoad(() => load(''), deps);
  const [extra, setExtra] = useState<{ after?: PageOf<T>; items: T[]; next?: string }>({ items: [] });
  // Pages loaded after an older first page do not belong to this one.
  const current = extra.after === first.data ? extra : { items: [], next: first.data?.next };
  const more = useAction(async () => {
    const page = await load(current.next ?? '');
    setExtra({ after: first.data, items: [...current.items, ...page.items], next: page.next });
  });
  return {
    ...first,
    items: [...(first.data?.items ?? []), ...current.items],
    hasMore: Boolean(current.next),
    loadMore: more,
  };
}
