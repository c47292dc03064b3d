import { SUBJECTS } from '@nuanyang/bus';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import { HelpRequestReceived } from '@nuanyang/proto/nuanyang/intake/v1/events';
import { MatchFulfilled } from '@nuanyang/proto/nuanyang/matching/v1/events';
import { VolunteerHoursRecorded } from '@nuanyang/proto/nuanyang/volunteer/v1/events';
import { factOf } from '../src/domain/facts';

const at = new Date('2022-01-05T17:51:00+08:00');

describe('facts from events', () => {
  it('keeps what the figures need from a received request, and no personal data', () => {
    const bytes = HelpRequestReceived.encode(
      HelpRequestReceived.fromPartial({
        meta: { eventId: 'hr-1:1:0', occurredAt: at },
        helpRequest: {
          id: 'hr-1',
          submittingOrganisationId: 'org-hub',
          requester: { name: '王秀兰', phone: '13912345678' },
          location: { district: 'huyi', community: '龙窝村', address: '3号院' },
          needs: [
            {
              category: ItemCategory.ITEM_CATEGORY_MEDICINE,
              itemName: '胰岛素',
              quantity: { amount: 2, unit: 'pen' },
            },
            {
              category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
              itemName: '方便面',
              quantity: { amount: 4, unit: 'box' },
            },
          ],
          urgency: Urgency.URGENCY_CRITICAL,
          peopleAffected: 2,
        },
      }),
    ).finish();
    const fact = factOf(SUBJECTS.intake.received, bytes);
    expect(fact).toEqual({
      id: 'hr-1:1:0',
      at: at.getTime(),
      kind: 'received',
      requestId: 'hr-1',
      org: 'org-hub',
      district: 'huyi',
      community: '龙窝村',
      urgency: Urgency.URGENCY_CRITICAL,
      people: 2,
      categories: [ItemCategory.ITEM_CATEGORY_INSTANT_FOOD, ItemCategory.ITEM_CATEGORY_MEDICINE],
    });
    expect(JSON.stringify(fact)).not.toMatch(/13912345678|3号院|王秀兰/);
  });

  it('takes quantities and unit values of a fulfilled proposal', () => {
    const bytes = MatchFulfilled.encode(
      MatchFulfilled.fromPartial({
        meta: { eventId: 'p1:4:0', occurredAt: at },
        proposal: {
          id: 'p1',
          helpRequestId: 'hr-1',
          category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
          needItemName: '方便面',
          requested: { amount: 40, unit: 'box' },
          supplierOrganisationId: 'org-donor',
          lines: [
            { lotId: 'l1', quantity: 40, unit: 'box', unitValue: { currencyCode: 'CNY', minorUnits: 4500 } },
          ],
          dropoffLocation: { district: 'huyi', community: '龙窝村' },
          decidedAt: new Date(at.getTime() - 3600_000),
        },
      }),
    ).finish();
    expect(factOf(SUBJECTS.matching.fulfilled, bytes)).toMatchObject({
      kind: 'fulfilled',
      proposalId: 'p1',
      supplier: 'org-donor',
      acceptedAt: at.getTime() - 3600_000,
      lines: [{ quantity: 40, unit: 'box', unitValue: 4500 }],
    });
  });

  it('turns recorded durations into hours, and ignores events without an id or a time', () => {
    const hours = (meta: { eventId: string; occurredAt?: Date }) =>
      factOf(
        SUBJECTS.volunteer.hoursRecorded,
        VolunteerHoursRecorded.encode(
          VolunteerHoursRecorded.fromPartial({
            meta,
            volunteerId: 'v1',
            duration: { seconds: 5400, nanos: 0 },
          }),
        ).finish(),
      );
    expect(hours({ eventId: 'h1', occurredAt: at })).toMatchObject({ kind: 'hours', hours: 1.5 });
    expect(hours({ eventId: 'h1' })).toBeUndefined();
    expect(hours({ eventId: '', occurredAt: at })).toBeUndefined();
    expect(factOf('nuanyang.volunteer.task.picked_up', new Uint8Array())).toBeUndefined();
  });
});
