import { type FormEvent, useState } from 'react';
import { api, newKey } from '../api/client';
import type { OpenNeed, StockLot } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAction, useLoad } from '../hooks';
import { useLabels } from '../labels';

/** An operator picks a lot with available stock of the need's category and a quantity. */
export function ManualMatch({ need, onDone }: { need: OpenNeed; onDone: () => void }) {
  const l = useLabels();
  const [open, setOpen] = useState(false);
  const [lotId, setLotId] = useState('');
  const [quantity, setQuantity] = useState(String(need.remainingQuantity ?? 1));
  const [key] = useState(newKey);
  const lots = useLoad(
    () =>
      open
        ? api.get<{ lots?: StockLot[] }>('/stock-lots', {
            category: need.need.category,
            availableOnly: true,
            pageSize: 50,
          })
        : Promise.resolve({ lots: [] }),
    [open],
  );
  const propose = useAction(
    () =>
      api.post('/match-proposals', {
        idempotencyKey: key,
        helpRequestId: need.helpRequestId,
        needId: need.need.needId,
        lines: [{ lotId, quantity: Number(quantity) }],
      }),
    () => {
      setOpen(false);
      onDone();
    },
  );
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        {l.t('matches.manual')}
      </button>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void propose.run();
  };
  return (
    <form className="inline" onSubmit={submit}>
      <select
        aria-label={l.t('matches.lot')}
        value={lotId}
        onChange={(e) => setLotId(e.target.value)}
        required
      >
        <option value="" />
        {(lots.data?.lots ?? []).map((lot) => (
          <option key={lot.id} value={lot.id}>
            {lot.itemName} · {lot.available ?? 0} {lot.unit} · {lot.donorOrganisationId} ·{' '}
            {l.place(lot.location)}
          </option>
        ))}
      </select>
      <input
        aria-label={l.t('common.quantity')}
        type="number"
        min={1}
        value={quantity}
        onChange={(e) => setQuantity(e.target.value)}
      />
      <button type="submit" className="primary" disabled={propose.running}>
        {l.t('common.save')}
      </button>
      <button type="button" className="link" onClick={() => setOpen(false)}>
        {l.t('common.cancel')}
      </button>
      <ErrorNotice error={propose.error ?? lots.error} />
    </form>
  );
}
