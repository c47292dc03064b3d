import { useState } from 'react';
import { api } from '../api/client';
import { enumValue, type Page, PREFIX, type StockLot } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Filter } from '../components/Field';
import { useLoad } from '../hooks';
import { CATEGORIES, DISTRICT_CODES, useLabels } from '../labels';
import { useSession } from '../session';
import { OfferForm } from './OfferForm';

/** Donated stock by lot, first expiry first: received, available, reserved for proposals, handed out. */
export function Stock() {
  const l = useLabels();
  const { can } = useSession();
  const [category, setCategory] = useState('');
  const [district, setDistrict] = useState('');
  const [availableOnly, setAvailableOnly] = useState(false);
  const lots = useLoad(
    () =>
      api.get<{ lots?: StockLot[]; page?: Page }>('/stock-lots', {
        category: category ? enumValue(category, PREFIX.category) : undefined,
        district,
        availableOnly,
        pageSize: 200,
      }),
    [category, district, availableOnly],
  );
  const yuan = (fen?: number) => (fen ? (fen / 100).toFixed(2) : '—');

  return (
    <section className="screen">
      <h2>{l.t('stock.title')}</h2>
      {can('operator', 'supplier') && <OfferForm onCreated={lots.reload} />}
      <div className="card">
        <div className="toolbar">
          <Filter
            title={l.t('common.category')}
            name="category"
            value={category}
            options={CATEGORIES}
            label={l.category}
            onChange={setCategory}
          />
          <Filter
            title={l.t('common.district')}
            name="district"
            value={district}
            options={DISTRICT_CODES}
            label={l.district}
            onChange={setDistrict}
          />
          <label className="check">
            <input
              type="checkbox"
              checked={availableOnly}
              onChange={(e) => setAvailableOnly(e.target.checked)}
            />
            {l.t('stock.availableOnly')}
          </label>
          <button type="button" onClick={lots.reload}>
            {l.t('common.refresh')}
          </button>
        </div>
        <ErrorNotice error={lots.error} />
        <table className="list" data-testid="stock-lots">
          <thead>
            <tr>
              <th>{l.t('common.item')}</th>
              <th>{l.t('stock.donor')}</th>
              <th>{l.t('stock.pickup')}</th>
              <th className="num">{l.t('stock.received')}</th>
              <th className="num">{l.t('stock.available')}</th>
              <th className="num">{l.t('stock.reserved')}</th>
              <th className="num">{l.t('stock.committed')}</th>
              <th className="num">{l.t('stock.unitValue')}</th>
              <th>{l.t('stock.expiresAt')}</th>
            </tr>
          </thead>
          <tbody>
            {(lots.data?.lots ?? []).map((lot) => (
              <tr key={lot.id} data-id={lot.id}>
                <td>
                  {l.category(lot.category)}: {lot.itemName} <small>({lot.unit})</small>
                </td>
                <td>{lot.donorOrganisationId}</td>
                <td>{l.place(lot.location)}</td>
                <td className="num">{lot.received ?? 0}</td>
                <td className="num">{lot.available ?? 0}</td>
                <td className="num">{lot.reserved ?? 0}</td>
                <td className="num">{lot.committed ?? 0}</td>
                <td className="num">{yuan(lot.unitValue?.minorUnits)}</td>
                <td>{l.time(lot.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {!lots.loading && (lots.data?.lots ?? []).length === 0 && (
          <p className="empty">{l.t('common.empty')}</p>
        )}
      </div>
    </section>
  );
}
