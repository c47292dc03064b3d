import type { status } from '@grpc/grpc-js';
import { issueToken, type Role } from '@nuanyang/auth';
import { createClient } from '@nuanyang/grpc-kit';
import { ItemCategory, Urgency } from '@nuanyang/proto/nuanyang/common/v1/common';
import {
  Channel,
  CreateHelpRequestRequest,
  IntakeServiceClient,
} from '@nuanyang/proto/nuanyang/intake/v1/intake';
import { VerificationServiceClient } from '@nuanyang/proto/nuanyang/verification/v1/verification';
import { TEST_JWT_SECRET } from '@nuanyang/testkit';

export const token = (subject: string, organisationId: string, ...roles: Role[]) =>
  issueToken({ subject, organisationId, roles }, TEST_JWT_SECRET);

export const partnerToken = token('partner-user-1', 'org-hub', 'partner');
export const otherPartnerToken = token('partner-user-2', 'org-other', 'partner');
export const verifierToken = (n = 1) => token(`verifier-${n}`, 'org-verifiers', 'verifier');
export const operatorToken = token('operator-1', 'org-centre', 'operator');

export const intakeClient = (address: string) =>
  createClient(IntakeServiceClient, address, { deadlineMs: 10_000 });
export const verificationClient = (address: string) =>
  createClient(VerificationServiceClient, address, { deadlineMs: 10_000 });

let seq = 0;
/** A valid request: an elderly couple in Huyi asking for instant food, like the evening case in DESIGN.md. */
export function helpRequest(overrides: Partial<CreateHelpRequestRequest> = {}): CreateHelpRequestRequest {
  seq += 1;
  return CreateHelpRequestRequest.fromPartial({
    idempotencyKey: `e2e-${process.pid}-${Date.now()}-${seq}`,
    requester: {
      name: '王秀兰',
      phone: `139${String(10_000_000 + seq * 7919 + (process.pid % 1000)).slice(-8)}`,
    },
    location: {
      district: 'huyi',
      community: '龙窝村',
      address: `${seq}号院`,
      coordinates: { latitude: 34.1086, longitude: 108.6051 },
    },
    needs: [
      {
        category: ItemCategory.ITEM_CATEGORY_INSTANT_FOOD,
        itemName: '方便面',
        quantity: { amount: 40, unit: 'box' },
        note: '',
      },
    ],
    urgency: Urgency.URGENCY_HIGH,
    vulnerableGroups: [],
    peopleAffected: 2,
    channel: Channel.CHANNEL_HOTLINE,
    description: 'out of food since yesterday',
    ...overrides,
  });
}

/** Resolves with the value once `probe` returns one, polling until the deadline. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** The gRPC status code a promise rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<status | 'resolved'> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as { code: status }).code;
  }
}
