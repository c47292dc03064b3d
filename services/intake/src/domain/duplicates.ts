import type { Need } from '@nuanyang/proto/nuanyang/common/v1/common';

export interface DuplicateCandidate {
  id: string;
  phone: string;
  district: string;
  address: string;
  needs: Need[];
  receivedAt: Date;
}

/** How far back a request counts as a possible duplicate of a new one. */
export const DUPLICATE_WINDOW_HOURS = 72;

/** Folds case, width variants, whitespace and punctuation so "3号楼 2单元" matches "3号楼2单元". */
export function normaliseAddress(address: string): string {
  return address
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s,.，。、;；:：#\-—()（）]/g, '');
}

/**
 * Ids of earlier requests that are likely the same case: the same phone, or the same address in the same
 * district asking for an overlapping category, received within the window before the new one.
 */
export function findLikelyDuplicates(incoming: DuplicateCandidate, earlier: DuplicateCandidate[]): string[] {
  const since = incoming.receivedAt.getTime() - DUPLICATE_WINDOW_HOURS * 3600_000;
  const address = normaliseAddress(incoming.address);
  const categories = new Set(incoming.needs.map((n) => n.category));
  return earlier
    .filter(
      (e) => e.id !== incoming.id && e.receivedAt.getTime() >= since && e.receivedAt <= incoming.receivedAt,
    )
    .filter(
      (e) =>
        (incoming.phone !== '' && e.phone === incoming.phone) ||
        (e.district === incoming.district &&
          address !== '' &&
          normaliseAddress(e.address) === address &&
          e.needs.some((n) => categories.has(n.category))),
    )
    .map((e) => e.id);
}
