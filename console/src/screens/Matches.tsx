import { useState } from 'react';
import { api } from '../api/client';
import { enumKey, enumValue, type MatchProposal, type OpenNeed, type Page, PREFIX } from '../api/types';
import { Badge } from '../components/Badge';
import { ErrorNotice } from '../components/ErrorNotice';
import { Filter } from '../components/Field';
import { useAction, useLoad } from '../hooks';
import { useLabels } from '../labels';
import { useSession } from '../session';
import { ManualMatch } from './ManualMatch';

const PROPOSAL_STATUSES = ['proposed', 'accepted', 'rejected', 'fulfilled', 'withdrawn', 'expired'];

/** The match board: proposals waiting for their supplier, and needs still open (with manual matching). */
export function Matches() {
  const l = useLabels();
  const { can } = useSession();
  const [status, setStatus] = useState('proposed');
  const proposals = useLoad(
    () =>
      api.get<{ proposals?: MatchProposal[]; page?: Page }>('/match-proposals', {
        statuses: status ? [enumValue(status, PREFIX.proposal)] : undefined,
        pageSize: 100,
      }),
    [status],
  );
  const needs = useLoad(
    () => api.get<{ needs?: OpenNeed[]; page?: Page }>('/open-needs', { pageSize: 100 }),
    [],
  );
  const reload = () => {
    proposals.reload();
    needs.reload();
  };
  const proposalLabel = (s: string) => l.t(`matches.proposalStatus.${s}`);
  // The decided proposal leaves the "proposed" list: say what happened to it.
  const [decided, setDecided] = useState<{ id: string; action: 'accept' | 'reject' }>();
  // What a decision answered, shown over a list that still says "proposed": lists read a read model a
  // moment behind the decision.
  const [answered, setAnswered] = useState<Record<string, MatchProposal>>({});
  const shown = (proposals.data?.proposals ?? [])
    .map((p) => (enumKey(p.status, PREFIX.proposal) === 'proposed' && answered[p.id]) || p)
    .filter((p) => !status || enumKey(p.status, PREFIX.proposal) === status);

  return (
    <section className="screen">
      <h2>{l.t('matches.title')}</h2>
      <div className="card">
        <div className="toolbar">
          <h3>{l.t('matches.proposals')}</h3>
          <Filter
            title={l.t('common.status')}
            name="proposal-status"
            value={status}
            options={PROPOSAL_STATUSES}
            label={proposalLabel}
            onChange={setStatus}
          />
          <button type="button" onClick={reload}>
            {l.t('common.refresh')}
          </button>
        </div>
        <ErrorNotice error={proposals.error} />
        {decided && (
          <div className="notice ok" role="status" data-testid="decided" data-id={decided.id}>
            {l.t(decided.action === 'accept' ? 'matches.acceptedNotice' : 'matches.rejectedNotice', {
              id: decided.id,
            })}
          </div>
        )}
        <div className="cards" data-testid="proposals">
          {shown.map((p) => (
            <ProposalCard
              key={p.id}
              proposal={p}
              canDecide={can('operator', 'supplier')}
              onDecided={({ action, proposal }) => {
                setDecided({ id: p.id, action });
                setAnswered((earlier) => ({ ...earlier, [p.id]: proposal }));
                reload();
              }}
            />
          ))}
        </div>
        {!proposals.loading && shown.length === 0 && <p className="empty">{l.t('common.empty')}</p>}
      </div>
      <div className="card">
        <h3>{l.t('matches.openNeeds')}</h3>
        <ErrorNotice error={needs.error} />
        <table className="list" data-testid="open-needs">
          <thead>
            <tr>
              <th>{l.t('common.id')}</th>
              <th>{l.t('common.district')}</th>
              <th>{l.t('common.item')}</th>
              <th>{l.t('matches.remaining')}</th>
              <th>{l.t('common.urgency')}</th>
              <th>{l.t('common.reason')}</th>
              {can('operator') && <th>{l.t('matches.manual')}</th>}
            </tr>
          </thead>
          <tbody>
            {(needs.data?.needs ?? []).map((n) => (
              <tr key={`${n.helpRequestId}/${n.need.needId}`}>
                <td>{n.helpRequestId}</td>
                <td>{l.place(n.location)}</td>
                <td>
                  {l.category(n.need.category)}: {n.need.itemName}
                </td>
                <td>
                  {n.remainingQuantity ?? 0} {n.need.quantity?.unit}
                </td>
                <td>
                  <Badge tone={enumKey(n.urgency, PREFIX.urgency)}>{l.urgency(n.urgency)}</Badge>
                </td>
                <td>{l.t(`matches.unmatched.${enumKey(n.unmatchedReason, PREFIX.unmatched)}`)}</td>
                {can('operator') && (
                  <td>
                    <ManualMatch need={n} onDone={reload} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {!needs.loading && (needs.data?.needs ?? []).length === 0 && (
          <p className="empty">{l.t('common.empty')}</p>
        )}
      </div>
    </section>
  );
}

function ProposalCard({
  proposal: p,
  canDecide,
  onDecided,
}: {
  proposal: MatchProposal;
  canDecide: boolean;
  onDecided: (decision: { action: 'accept' | 'reject'; proposal: MatchProposal }) => void;
}) {
  const l = useLabels();
  const [reason, setReason] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const decide = useAction(async (action: 'accept' | 'reject') => {
    // The answer is the decided proposal: the board shows it without waiting for the list.
    const { proposal } = await api.post<{ proposal: MatchProposal }>(
      `/match-proposals/${encodeURIComponent(p.id)}/${action}`,
      action === 'reject' ? { reason } : {},
    );
    return { action, proposal };
  }, onDecided);
  const status = enumKey(p.status, PREFIX.proposal);
  return (
    <article className="proposal" data-id={p.id} data-request={p.helpRequestId} data-status={status}>
      <header>
        <Badge tone={enumKey(p.urgency, PREFIX.urgency)}>{l.urgency(p.urgency)}</Badge>
        <strong>
          {l.category(p.category)}: {p.needItemName}
        </strong>
        <Badge tone="status">{l.t(`matches.proposalStatus.${status}`)}</Badge>
      </header>
      <dl className="facts">
        <dt>{l.t('matches.supplier')}</dt>
        <dd>{p.supplierOrganisationId}</dd>
        <dt>{l.t('matches.proposed')}</dt>
        <dd>
          {p.proposedQuantity ?? 0} / {l.quantity(p.requested)}
        </dd>
        <dt>{l.t('matches.dropoff')}</dt>
        <dd>{l.place(p.dropoffLocation)}</dd>
        {(p.distanceKm ?? 0) > 0 && (
          <>
            <dt>{l.t('matches.distance')}</dt>
            <dd>{p.distanceKm?.toFixed(1)} km</dd>
          </>
        )}
        <dt>{l.t('matches.lot')}</dt>
        <dd>
          {(p.lines ?? []).map((line) => (
            <div key={line.lotId}>
              {line.itemName} × {line.quantity} {line.unit} · {l.place(line.pickupLocation)}
            </div>
          ))}
        </dd>
        {status === 'proposed' && (
          <>
            <dt>{l.t('matches.decideBy')}</dt>
            <dd>{l.time(p.decideBy)}</dd>
          </>
        )}
        {p.statusReason && (
          <>
            <dt>{l.t('common.reason')}</dt>
            <dd>{p.statusReason}</dd>
          </>
        )}
      </dl>
      {canDecide && status === 'proposed' && (
        <div className="actions">
          <button
            type="button"
            className="primary"
            data-testid="accept"
            disabled={decide.running}
            onClick={() => decide.run('accept')}
          >
            {l.t('matches.accept')}
          </button>
          {rejecting ? (
            <>
              <input
                aria-label={l.t('matches.rejectReason')}
                placeholder={l.t('matches.rejectReason')}
                value={reason}
                onChange={(e) => setReason(e.target.value)}
              />
              <button type="button" disabled={decide.running} onClick={() => decide.run('reject')}>
                {l.t('matches.reject')}
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setRejecting(true)}>
              {l.t('matches.reject')}
            </button>
          )}
        </div>
      )}
      <ErrorNotice error={decide.error} />
    </article>
  );
}
