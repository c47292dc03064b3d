import * as verification from '@nuanyang/proto/nuanyang/verification/v1/verification';
import type { ServiceRoutes } from './route';

const VERIFIERS = ['verifier', 'operator'] as const;

export const verificationRoutes: ServiceRoutes = {
  service: 'verification',
  protoPackage: 'nuanyang.verification.v1',
  codecs: verification,
  tag: 'verification',
  routes: [
    {
      method: 'GET',
      url: '/verification-tasks',
      rpc: 'ListTasks',
      summary: 'The call-back queue, overdue first',
      description: 'Without `statuses`: OPEN and CLAIMED tasks.',
      roles: VERIFIERS,
    },
    {
      method: 'GET',
      url: '/verification-tasks/:id',
      rpc: 'GetTask',
      summary: 'Get a verification task',
      roles: VERIFIERS,
    },
    {
      method: 'POST',
      url: '/verification-tasks/:taskId/claim',
      rpc: 'ClaimTask',
      summary: 'Claim a task for the caller',
      description: 'Only one verifier holds a task: 409 when someone else holds it.',
      roles: VERIFIERS,
    },
    {
      method: 'POST',
      url: '/verification-tasks/:taskId/release',
      rpc: 'ReleaseTask',
      summary: 'Give a claimed task back to the queue',
      roles: VERIFIERS,
    },
    {
      method: 'POST',
      url: '/verification-tasks/:taskId/outcome',
      rpc: 'RecordOutcome',
      summary: 'Record the result of a call',
      description: 'Exactly one of verified, rejected, duplicate, noAnswer. Idempotent by idempotencyKey.',
      roles: VERIFIERS,
      required: ['idempotencyKey'],
    },
  ],
};
