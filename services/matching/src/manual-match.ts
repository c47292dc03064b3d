import { createHash } from 'node:crypto';
import type { Principal } from '@nuanyang/auth';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from '@nuanyang/grpc-kit';
import type { Allocation } from '@nuanyang/planner';
import {
  type MatchProposal,
  ProposalOrigin,
  type ProposeManualMatchRequest,
} from '@nuanyang/proto/nuanyang/matching/v1/matching';
import { actorOf, type CaseStore } from './case-log';
import { type MatchCase, proposalId, remaining } from './domain/cases';
import type { Planning } from './planning';
import type { StockPort } from './stock';

/** An operator picks the lots for a need; ids derive from the idempotency key, so a retry reserves nothing new. */
export class ManualMatch {
  constructor(
    private readonly store: CaseStore,
    private readonly stock: StockPort,
    private readonly planning: Planning,
  ) {}

  async propose(
    req: ProposeManualMatchRequest,
    actor: Principal,
  ): Promise<{ proposals: MatchProposal[]; replayed: boolean }> {
    validate(req);
    const found = await this.store.load(req.helpRequestId);
    if (!found)
      throw new NotFoundError(`help request ${req.helpRequestId} is not verified or not known to matching`);
    const line = found.state.needs.find((n) => n.need.needId === req.needId);
    if (!line) throw new NotFoundError(`need ${req.needId} not found in help request ${req.helpRequestId}`);
    const keyed = (supplier: string) =>
      proposalId(
        req.helpRequestId,
        createHash('sha256').update(`${req.idempotencyKey}\u0000${supplier}`).digest('hex').slice(0, 8),
      );
    const mine = (c: MatchCase) =>
      c.proposals.filter(
        (p) => p.proposedBy === actor.subject && p.note.startsWith(`[${req.idempotencyKey}]`),
      );
    const earlier = mine(found.state);
    if (earlier.length > 0) {
      const asked = req.lines
        .map((l) => `${l.lotId}:${l.quantity}`)
        .sort()
        .join();
      const had = earlier
        .flatMap((p) => p.lines.map((l) => `${l.lotId}:${l.quantity}`))
        .sort()
        .join();
      if (!earlier.every((p) => p.needId === req.needId) || had !== asked) {
        throw new AlreadyExistsError('idempotency_key was already used for another manual match');
      }
      return { proposals: earlier, replayed: true };
    }
    if (!found.state.open) throw new FailedPreconditionError('the help request was cancelled');
    const lots = new Map((await this.stock.freeLots(line.need.category)).map((l) => [l.id, l]));
    const allocations: Allocation[] = req.lines.map((l, i) => {
      const lot = lots.get(l.lotId);
      if (!lot)
        throw new FailedPreconditionError(
          `lines[${i}]: lot ${l.lotId} has no available ${line.need.itemName} stock`,
        );
      if (lot.unit !== line.need.quantity?.unit)
        throw InvalidArgumentError.field(
          `lines[${i}].lot_id`,
          `lot unit ${lot.unit} differs from the need's unit`,
        );
      return { needId: req.needId, lotId: l.lotId, quantity: l.quantity, distanceKm: 0 };
    });
    const total = allocations.reduce((s, a) => s + a.quantity, 0);
    const open = remaining(found.state, req.needId);
    if (total > open)
      throw InvalidArgumentError.field('lines', `asks for ${total} but only ${open} is still open`);
    const raced = await this.planning.propose(found.state, line, allocations, [...lots.values()], {
      origin: ProposalOrigin.PROPOSAL_ORIGIN_MANUAL,
      by: actorOf(actor),
      ids: keyed,
      note: `[${req.idempotencyKey}] ${req.note}`,
    });
    if (raced) throw new FailedPreconditionError('a lot no longer has that much available stock');
    return { proposals: mine((await this.store.loadOrThrow(req.helpRequestId)).state), replayed: false };
  }
}

function validate(req: ProposeManualMatchRequest): void {
  if (!/^[A-Za-z0-9_.:-]{8,128}$/.test(req.idempotencyKey)) {
    throw InvalidArgumentError.field(
      'idempotency_key',
      'must be 8 to 128 characters of letters, digits, _ . : -',
    );
  }
  if (req.lines.length === 0) throw InvalidArgumentError.field('lines', 'at least one lot is required');
  req.lines.forEach((l, i) => {
    if (!Number.isInteger(l.quantity) || l.quantity <= 0)
      throw InvalidArgumentError.field(`lines[${i}].quantity`, 'must be a whole number greater than 0');
  });
}
