import { InvalidArgumentError } from './errors';

export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 200;

/**
 * Reads a `common.v1.PageRequest`: a size (0 means the default, more than 200 is lowered to 200, as the
 * contract says) and an opaque token that a previous page returned. Bad values are INVALID_ARGUMENT naming
 * the field.
 */
export function readPage(page: { pageSize: number; pageToken: string } | undefined): {
  limit: number;
  offset: number;
} {
  const asked = page?.pageSize || PAGE_SIZE_DEFAULT;
  if (!Number.isInteger(asked) || asked < 1) {
    throw InvalidArgumentError.field('page.page_size', 'must be a positive whole number');
  }
  const size = Math.min(asked, PAGE_SIZE_MAX);
  const token = page?.pageToken ?? '';
  if (token === '') return { limit: size, offset: 0 };
  try {
    const { o } = JSON.parse(Buffer.from(token, 'base64url').toString()) as { o: unknown };
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return { limit: size, offset: o };
  } catch {
    // reported below
  }
  throw InvalidArgumentError.field('page.page_token', 'is not a token returned by a previous page');
}

/**
 * Slices one page from rows fetched with `limit + 1` (the extra row tells whether another page exists)
 * and the token of the next page, empty on the last.
 */
export function pageOf<T>(
  rows: T[],
  at: { limit: number; offset: number },
): { items: T[]; nextPageToken: string } {
  const more = rows.length > at.limit;
  return {
    items: rows.slice(0, at.limit),
    nextPageToken: more ? Buffer.from(JSON.stringify({ o: at.offset + at.limit })).toString('base64url') : '',
  };
}
