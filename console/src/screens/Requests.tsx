import { useState } from 'react';
import { api } from '../api/client';
import { enumValue, type HelpRequest, type Page, PREFIX } from '../api/types';
import { Badge } from '../components/Badge';
import { ErrorNotice } from '../components/ErrorNotice';
import { Filter } from '../components/Field';
import { usePaged } from '../hooks';
import { DISTRICT_CODES, STATUSES, URGENCIES, useLabels } from '../labels';
import { useSession } from '../session';
import { RequestForm } from './RequestForm';

interface Filters {
  status: string;
  district: string;
  urgency: string;
}

/** The request queue: filters by status, district and urgency, highest priority first; and the intake form. */
export function Requests() {
  const l = useLabels();
  const { can } = useSession();
  const [filters, setFilters] = useState<Filters>({ status: '', district: '', urgency: '' });
  const list = usePaged(
    async (pageToken) => {
      const res = await api.get<{ helpRequests?: HelpRequest[]; page?: Page }>('/help-requests', {
        statuses: filters.status ? [enumValue(filters.status, PREFIX.status)] : undefined,
        district: filters.district,
        urgency: filters.urgency ? enumValue(filters.urgency, PREFIX.urgency) : undefined,
        pageSize: 50,
        pageToken,
      });
      return { items: res.helpRequests ?? [], next: res.page?.nextPageToken };
    },
    [filters],
  );
  const set = (key: keyof Filters) => (value: string) => setFilters((f) => ({ ...f, [key]: value }));
  const requests = list.items;

  return (
    <section className="screen">
      <h2>{l.t('requests.title')}</h2>
      {can('operator', 'partner') && <RequestForm onCreated={list.reload} />}
      <div className="card">
        <div className="toolbar">
          <Filter
            title={l.t('common.status')}
            name="status"
            value={filters.status}
            options={STATUSES}
            label={l.status}
            onChange={set('status')}
          />
          <Filter
            title={l.t('common.district')}
            name="district"
            value={filters.district}
            options={DISTRICT_CODES}
            label={l.district}
            onChange={set('district')}
          />
          <Filter
            title={l.t('common.urgency')}
            name="urgency"
            value={filters.urgency}
            options={URGENCIES}
            label={l.urgency}
            onChange={set('urgency')}
          />
          <button type="button" onClick={list.reload}>
            {l.t('common.refresh')}
          </button>
        </div>
        <ErrorNotice error={list.error} />
        <table className="list" data-testid="request-list">
          <thead>
            <tr>
              <th>{l.t('common.receivedAt')}</th>
              <th>{l.t('requests.requester')}</th>
              <th>{l.t('common.district')}</th>
              <th>{l.t('requests.needs')}</th>
              <th>{l.t('common.urgency')}</th>
              <th>{l.t('common.people')}</th>
              <th>{l.t('common.status')}</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} data-id={r.id}>
                <td>{l.time(r.receivedAt)}</td>
                <td>
                  {r.requester?.name ?? '—'}
                  <br />
                  <small>
                    {r.requester?.phone || (r.personalDataRedacted ? l.t('common.redacted') : '')}
                  </small>
                </td>
                <td>
                  {l.place(r.location)}
                  {r.location?.address && (
                    <>
                      <br />
                      <small>{r.location.address}</small>
                    </>
                  )}
                </td>
                <td>
                  {(r.needs ?? []).map((n) => (
                    <div key={n.needId ?? n.itemName}>
                      {l.category(n.category)}: {n.itemName} × {l.quantity(n.quantity)}
                    </div>
                  ))}
                </td>
                <td>
                  <Badge tone={r.urgency?.toLowerCase() ?? ''}>{l.urgency(r.urgency)}</Badge>
                </td>
                <td>{r.peopleAffected ?? '—'}</td>
                <td>
                  <Badge tone="status">{l.status(r.status)}</Badge>
                  {(r.possibleDuplicateOf?.length ?? 0) > 0 && (
                    <div>
                      <small>
                        {l.t('requests.duplicates')}: {r.possibleDuplicateOf?.join(', ')}
                      </small>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!list.loading && requests.length === 0 && <p className="empty">{l.t('common.empty')}</p>}
        <ErrorNotice error={list.loadMore.error} />
        {list.hasMore && (
          <button type="button" disabled={list.loadMore.running} onClick={() => list.loadMore.run()}>
            {l.t('common.more')}
          </button>
        )}
      </div>
    </section>
  );
}
