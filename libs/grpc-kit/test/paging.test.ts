import { InvalidArgumentError, pageOf, readPage } from '@nuanyang/grpc-kit';

describe('page requests', () => {
  it('defaults, keeps and lowers sizes as the contract says', () => {
    expect(readPage(undefined)).toEqual({ limit: 50, offset: 0 });
    expect(readPage({ pageSize: 0, pageToken: '' })).toEqual({ limit: 50, offset: 0 });
    expect(readPage({ pageSize: 7, pageToken: '' })).toEqual({ limit: 7, offset: 0 });
    expect(readPage({ pageSize: 5000, pageToken: '' })).toEqual({ limit: 200, offset: 0 });
  });

  it.each([
    ['a negative size', { pageSize: -1, pageToken: '' }, 'page.page_size'],
    ['a token not from a page', { pageSize: 5, pageToken: 'garbage' }, 'page.page_token'],
    [
      'a token with a negative offset',
      { pageSize: 5, pageToken: Buffer.from('{"o":-5}').toString('base64url') },
      'page.page_token',
    ],
  ])('refuses %s, naming the field', (_case, page, field) => {
    let error: unknown;
    try {
      readPage(page);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).violations[0]?.field).toBe(field);
  });

  it('walks a list page by page with the tokens it hands out', () => {
    const rows = Array.from({ length: 7 }, (_, i) => i);
    const seen: number[] = [];
    let token = '';
    let pages = 0;
    do {
      const at = readPage({ pageSize: 3, pageToken: token });
      const { items, nextPageToken } = pageOf(rows.slice(at.offset, at.offset + at.limit + 1), at);
      seen.push(...items);
      token = nextPageToken;
      pages++;
    } while (token !== '');
    expect(seen).toEqual(rows);
    expect(pages).toBe(3);
  });
});
