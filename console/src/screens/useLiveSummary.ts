import { useEffect, useState } from 'react';
import { ApiError, api, type ProblemDetails, tokenStore } from '../api/client';
import type { Summary } from '../api/types';

/**
 * The headline figures, live: fetched once, then every `summary` event of the gateway's SSE stream. The
 * browser's EventSource reconnects by itself (the gateway sends `retry:`); it cannot send an Authorization
 * header, so the token goes as `access_token`, which the gateway accepts on this route only.
 */
export function useLiveSummary() {
  const [summary, setSummary] = useState<Summary>();
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let stopped = false;
    api.get<{ summary?: Summary }>('/reports/summary').then(
      (res) => !stopped && setSummary((s) => s ?? res.summary ?? {}),
      (err: unknown) => !stopped && setError(err),
    );
    const source = new EventSource(
      `/api/v1/dashboard/stream?minIntervalSeconds=1&access_token=${encodeURIComponent(tokenStore.get())}`,
    );
    source.onopen = () => setConnected(true);
    source.addEventListener('summary', (e) => {
      setSummary(JSON.parse((e as MessageEvent<string>).data) as Summary);
      setError(undefined);
    });
    source.addEventListener('error', (e) => {
      setConnected(false);
      const data = (e as MessageEvent<string>).data;
      if (data) setError(new ApiError(0, JSON.parse(data) as ProblemDetails));
    });
    return () => {
      stopped = true;
      source.close();
    };
  }, []);

  return { summary, connected, error };
}
