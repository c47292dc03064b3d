import type { HelpRequestVerified } from '@nuanyang/proto/nuanyang/verification/v1/events';
import { type CaseStore, change, MATCHING } from './case-log';
import { openCase, withdrawable } from './domain/decide';
import type { Planning } from './planning';
import type { StockPort } from './stock';

/** A case follows its help request: opened when verified (and planned at once), closed when cancelled. */
export class CaseLifecycle {
  constructor(
    private readonly store: CaseStore,
    private readonly stock: StockPort,
    private readonly planning: Planning,
  ) {}

  /** Opens the case once, however often the event comes, and plans it. */
  async onVerified(e: HelpRequestVerified): Promise<void> {
    await this.store.create(e.helpRequestId, openCase(e, new Date()), { actor: MATCHING });
    await this.planning.plan(e.helpRequestId);
  }

  /**
   * Closes the case and withdraws what is only proposed, its stock released first (a crash in between
   * redelivers the event; releasing again changes nothing). A proposal recorded by a plan while this released
   * is caught by the second pass: once the case is closed, no plan records one.
   */
  async onCancelled(helpRequestId: string, reason: string): Promise<void> {
    for (let pass = 0; pass < 2; pass++) {
      const c = await this.store.load(helpRequestId);
      if (!c) return;
      const withdraw = withdrawable(c.state);
      if (!c.state.open && withdraw.length === 0) return;
      for (const p of withdraw) await this.stock.release(p.id, 'help request cancelled');
      const ids = withdraw.map((p) => p.id);
      await change(this.store, helpRequestId, { kind: 'cancel', reason, withdraw: ids }, { actor: MATCHING });
    }
  }
}
