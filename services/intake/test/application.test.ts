import type { Principal } from '@nuanyang/auth';
import { SUBJECTS } from '@nuanyang/bus';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Channel,
  CreateHelpRequestRequest,
  type HelpRequest,
  HelpRequestStatus,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { MemoryKeyValue, MemoryStore } from '@nuanyang/store';
import { DuplicateIndex } from '../src/duplicate-index';
import { HelpRequests } from '../src/help-requests';

// The application class over the in-memory store and key-value: creation, idempotency, duplicate flags,
// cancelling and following other services, without servers.

const partner: Principal = { subject: 'u-partner', organisationId: 'org-hub', roles: ['partner'] };
const operator: Principal = { subject: 'u-op', organisationId: 'coordination-centre', roles: ['operator'] };

let seq = 0;
const create = (overrides: Partial<CreateHelpRequestRequest> = {}) =>
  CreateHelpRequestRequest.fromPartial({
    idempotencyKey: `key-${String(++seq).padStart(6, '0')}`,
    requester: { name: '王秀兰', phone: '13912345678' },
    location: { district: 'yanta', community: '小寨社区', address: '雁塔路 1 号', coordinates: undefined },
    needs: [
      {
        category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
        itemName: '方便面',
        quantity: { amount: 4, unit: 'box' },
      },
    ],
    urgency: Urgency.URGENCY_HIGH,
    peopleAffected: 3,
    channel: Channel.CHANNEL_HOTLINE,
    ...overrides,
  });

function setup() {
  const store = new MemoryStore<HelpRequest>('help_request');
  const listing = { list: () => Promise.reject(new Error('not used by these cases')) };
  const requests = new HelpRequests(store, new DuplicateIndex(new MemoryKeyValue()), listing as never);
  return { store, requests };
}

describe('HelpRequests on the in-memory store', () => {
  it('creates once per key: a retry gets the first result, another body under the key is refused', async () => {
    const { store, requests } = setup();
    const req = create();
    const first = await requests.create(req, partner);
    expect(first).toMatchObject({
      replayed: false,
      helpRequest: { status: HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED },
    });
    const retry = await requests.create(req, partner);
    expect(retry).toMatchObject({ replayed: true, helpRequest: { id: first.helpRequest.id } });
    await expect(requests.create({ ...req, peopleAffected: 4 }, partner)).rejects.toMatchObject({
      name: 'IdempotencyKeyReusedError',
    });
    // The same key from another organisation is another request.
    const other = await requests.create(req, { ...partner, organisationId: 'org-other' });
    expect(other.helpRequest.id).not.toBe(first.helpRequest.id);
    expect(store.events.filter((e) => e.subject === SUBJECTS.intake.received)).toHaveLength(2);
  });

  it('flags a request with the same phone, or the same address and category, as a likely duplicate', async () => {
    const { requests } = setup();
    const a = (await requests.create(create({ requester: { name: 'A', phone: '13800000001' } }), operator))
      .helpRequest;
    const samePhone = (
      await requests.create(
        create({
          requester: { name: 'B', phone: '13800000001' },
          location: { district: 'beilin', community: 'x', address: '别处', coordinates: undefined },
        }),
        operator,
      )
    ).helpRequest;
    const sameAddress = (
      await requests.create(
        create({ requester: { name: 'C', phone: '13800000002' }, location: a.location }),
        operator,
      )
    ).helpRequest;
    const unrelated = (
      await requests.create(
        create({
          requester: { name: 'D', phone: '13800000003' },
          location: { district: 'huyi', community: 'y', address: '龙窝村', coordinates: undefined },
        }),
        operator,
      )
    ).helpRequest;
    expect(a.possibleDuplicateOf).toEqual([]);
    expect(samePhone.possibleDuplicateOf).toEqual([a.id]);
    expect(sameAddress.possibleDuplicateOf).toEqual([a.id]);
    expect(unrelated.possibleDuplicateOf).toEqual([]);
  });

  it('follows an outcome once per event and cancels idempotently, refusing what the lifecycle forbids', async () => {
    const { store, requests } = setup();
    const hr = (await requests.create(create(), partner)).helpRequest;
    const verified = HelpRequestStatus.HELP_REQUEST_STATUS_VERIFIED;
    expect(await requests.follow(hr.id, 'verification.vt-1.v3.0', verified, '')).toBe(true);
    expect(await requests.follow(hr.id, 'verification.vt-1.v3.0', verified, '')).toBe(false);
    const cancelled = await requests.cancel(hr.id, 'no longer needed', partner);
    expect(cancelled.status).toBe(HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED);
    expect((await requests.cancel(hr.id, 'no longer needed', partner)).version).toBe(cancelled.version);
    await expect(
      requests.cancel(hr.id, 'again', { ...partner, organisationId: 'org-other' }),
    ).rejects.toMatchObject({
      name: 'PermissionDeniedError',
    });
    // Cancelling publishes both the cancellation and the status change, stamped with the partner.
    const last = store.events.slice(-2).map((e) => e.subject);
    expect(last).toEqual([SUBJECTS.intake.cancelled, SUBJECTS.intake.statusChanged]);
    expect(store.history(hr.id).map((c) => c.state.status)).toEqual([
      HelpRequestStatus.HELP_REQUEST_STATUS_RECEIVED,
      verified,
      HelpRequestStatus.HELP_REQUEST_STATUS_CANCELLED,
    ]);
  });
});
