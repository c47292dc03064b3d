import { useEffect, useState } from 'react';

export const SCREENS = ['dashboard', 'requests', 'verification', 'matches', 'stock', 'tasks'] as const;
export type Screen = (typeof SCREENS)[number];

/** Roles that may open each screen (the gateway checks again; this only hides what would be refused). */
export const SCREEN_ROLES: Record<Screen, string[]> = {
  dashboard: ['operator', 'viewer', 'partner', 'supplier'],
  requests: ['operator', 'verifier', 'partner', 'supplier', 'viewer'],
  verification: ['operator', 'verifier'],
  matches: ['operator', 'supplier', 'partner', 'viewer'],
  stock: ['operator', 'supplier', 'partner', 'viewer'],
  tasks: ['volunteer', 'operator'],
};

const parse = (hash: string): Screen | undefined => {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return (SCREENS as readonly string[]).includes(name ?? '') ? (name as Screen) : undefined;
};

/** The screen named by the URL's hash (`#/matches`): links are shareable and the back button works. */
export function useScreen(fallback: Screen): [Screen, (s: Screen) => void] {
  const [screen, setScreen] = useState<Screen>(() => parse(window.location.hash) ?? fallback);
  useEffect(() => {
    const onChange = () => setScreen(parse(window.location.hash) ?? fallback);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, [fallback]);
  return [screen, (s) => (window.location.hash = `#/${s}`)];
}
