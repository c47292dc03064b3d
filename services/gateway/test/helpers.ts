import { issueToken, type Role } from '@nuanyang/auth';
import { TEST_JWT_SECRET } from '@nuanyang/testkit';

export { eventually } from '@nuanyang/testkit';

export const token = (subject: string, organisationId: string, ...roles: Role[]) =>
  issueToken({ subject, organisationId, roles }, TEST_JWT_SECRET);

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A small fetch wrapper: JSON in, JSON (or text) out, the bearer token when given. */
export function http(base: string) {
  return async <T = Record<string, unknown>>(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  };
}

let seq = 0;
/** A valid help request body (proto3 JSON): an elderly couple in Huyi asking for instant food. */
export function helpRequestBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return {
    idempotencyKey: `gw-${process.pid}-${Date.now()}-${seq}`,
    requester: {
      name: '王秀兰',
      phone: `139${String(10_000_000 + seq * 7919 + (process.pid % 1000)).slice(-8)}`,
    },
    location: { district: 'huyi', community: '龙窝村', address: `${seq}号院` },
    needs: [
      { category: 'ITEM_CATEGORY_INSTANT_FOOD', itemName: '方便面', quantity: { amount: 40, unit: 'box' } },
    ],
    urgency: 'URGENCY_HIGH',
    peopleAffected: 2,
    channel: 'CHANNEL_WEB_CONSOLE',
    description: 'out of food since yesterday',
    ...overrides,
  };
}

/** A valid offer body: instant noodles in Huyi, expiring in 30 days. */
export function offerBody(donor: string, amount: number): Record<string, unknown> {
  seq += 1;
  return {
    idempotencyKey: `gw-offer-${process.pid}-${Date.now()}-${seq}`,
    donorOrganisationId: donor,
    lines: [
      {
        category: 'ITEM_CATEGORY_INSTANT_FOOD',
        itemName: '方便面',
        quantity: { amount, unit: 'box' },
        unitValue: { currencyCode: 'CNY', minorUnits: 4500 },
        expiresAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
      },
    ],
    pickupLocation: { district: 'huyi', community: '龙窝村', address: '仓库1号' },
    pickupContact: { name: '李经理', phone: '13912345678' },
  };
}
