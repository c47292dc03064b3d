import { useState } from 'react';
import { api, newKey } from '../api/client';
import { type DeliveryTask, enumKey, type Page, PREFIX } from '../api/types';
import { Badge } from '../components/Badge';
import { ErrorNotice } from '../components/ErrorNotice';
import { useAction, useLoad } from '../hooks';
import { useLabels } from '../labels';
import { useSession } from '../session';

/**
 * The volunteer's task board, laid out for a phone: tasks offered to or held by me, with one large button
 * for the next step. Operators see every open task (and may report progress on a volunteer's behalf).
 */
export function Tasks() {
  const l = useLabels();
  const { can } = useSession();
  const volunteer = can('volunteer') && !can('operator');
  const tasks = useLoad(
    () =>
      api.get<{ tasks?: DeliveryTask[]; page?: Page }>('/delivery-tasks', {
        volunteerId: volunteer ? 'me' : undefined,
        pageSize: 100,
      }),
    [volunteer],
  );
  const list = tasks.data?.tasks ?? [];
  return (
    <section className="screen narrow">
      <div className="toolbar">
        <h2>{volunteer ? l.t('tasks.mine') : l.t('tasks.title')}</h2>
        <button type="button" onClick={tasks.reload}>
          {l.t('common.refresh')}
        </button>
      </div>
      <ErrorNotice error={tasks.error} />
      <div className="cards" data-testid="delivery-tasks">
        {list.map((task) => (
          <TaskCard
            key={`${task.id}:${task.version}`}
            task={task}
            asVolunteer={volunteer}
            onChanged={tasks.reload}
          />
        ))}
      </div>
      {!tasks.loading && list.length === 0 && <p className="empty">{l.t('common.empty')}</p>}
    </section>
  );
}

type Step = 'accept' | 'decline' | 'pickedUp' | 'delivered' | 'failed';

function TaskCard({
  task,
  asVolunteer,
  onChanged,
}: {
  task: DeliveryTask;
  asVolunteer: boolean;
  onChanged: () => void;
}) {
  const l = useLabels();
  const [current, setCurrent] = useState(task);
  const [text, setText] = useState('');
  const [pending, setPending] = useState<'delivered' | 'failed'>();
  // One key per step, so a retry on a flaky phone connection is answered with the first result.
  const [key, setKey] = useState(newKey);
  const status = enumKey(current.status, PREFIX.delivery);
  const path = `/delivery-tasks/${encodeURIComponent(task.id)}`;

  const send = (step: Step) => {
    if (step === 'accept') return api.post<{ task: DeliveryTask }>(`${path}/accept`);
    if (step === 'decline') return api.post<{ task: DeliveryTask }>(`${path}/decline`, { reason: text });
    const update =
      step === 'pickedUp'
        ? { pickedUp: { note: '' } }
        : step === 'delivered'
          ? { delivered: { proofNote: text } }
          : { failed: { reason: text } };
    return api.post<{ task: DeliveryTask }>(`${path}/status-updates`, { idempotencyKey: key, ...update });
  };
  const act = useAction(
    async (step: Step) => ({ step, task: (await send(step)).task }),
    ({ step, task: next }) => {
      setCurrent(next);
      setPending(undefined);
      setText('');
      setKey(newKey());
      // A declined task goes to someone else: reload. Otherwise the card shows the new state as it is, a
      // delivered or failed task included (the list leaves final tasks out: it stays until the next refresh).
      if (step === 'decline') onChanged();
    },
  );

  const held = status === 'accepted' || status === 'picked_up';
  return (
    <article className="task" data-id={task.id} data-request={task.helpRequestId} data-status={status}>
      <header>
        <Badge tone={enumKey(current.urgency, PREFIX.urgency)}>{l.urgency(current.urgency)}</Badge>
        <Badge tone="status">{l.t(`tasks.status.${status}`)}</Badge>
      </header>
      <ul className="items">
        {(current.items ?? []).map((item) => (
          <li key={`${item.lotId}-${item.itemName}`}>
            {l.category(item.category)}: {item.itemName} × {l.quantity(item.quantity)}
          </li>
        ))}
      </ul>
      <dl className="facts">
        <dt>{l.t('tasks.pickup')}</dt>
        <dd>
          {l.place(current.pickupLocation)} {current.pickupLocation?.address}
          {current.pickupContact?.name && (
            <div>
              {current.pickupContact.name}{' '}
              {current.pickupContact.phone && (
                <a href={`tel:${current.pickupContact.phone}`}>{current.pickupContact.phone}</a>
              )}
            </div>
          )}
        </dd>
        <dt>{l.t('tasks.dropoff')}</dt>
        <dd>
          {l.place(current.dropoffLocation)} {current.dropoffLocation?.address}
        </dd>
        <dt>{l.t('tasks.recipient')}</dt>
        <dd data-testid="recipient">
          {current.recipient?.name || current.recipient?.phone ? (
            <>
              {current.recipient?.name}{' '}
              {current.recipient?.phone && (
                <a href={`tel:${current.recipient.phone}`}>{current.recipient.phone}</a>
              )}
            </>
          ) : (
            l.t('common.redacted')
          )}
        </dd>
        {status === 'offered' && (
          <>
            <dt>{l.t('tasks.offerExpires')}</dt>
            <dd>{l.time(current.offerExpiresAt)}</dd>
          </>
        )}
        {current.proofNote && (
          <>
            <dt>{l.t('tasks.delivered')}</dt>
            <dd>{current.proofNote}</dd>
          </>
        )}
        {current.failureReason && (
          <>
            <dt>{l.t('tasks.failed')}</dt>
            <dd>{current.failureReason}</dd>
          </>
        )}
      </dl>
      <div className="actions big">
        {status === 'offered' && asVolunteer && (
          <>
            <button
              type="button"
              className="primary"
              disabled={act.running}
              onClick={() => act.run('accept')}
            >
              {l.t('tasks.accept')}
            </button>
            <button type="button" disabled={act.running} onClick={() => act.run('decline')}>
              {l.t('tasks.decline')}
            </button>
          </>
        )}
        {status === 'accepted' && (
          <button
            type="button"
            className="primary"
            disabled={act.running}
            onClick={() => act.run('pickedUp')}
          >
            {l.t('tasks.pickedUp')}
          </button>
        )}
        {status === 'picked_up' && !pending && (
          <button type="button" className="primary" onClick={() => setPending('delivered')}>
            {l.t('tasks.delivered')}
          </button>
        )}
        {held && !pending && (
          <button type="button" onClick={() => setPending('failed')}>
            {l.t('tasks.failed')}
          </button>
        )}
      </div>
      {pending && (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            void act.run(pending);
          }}
        >
          <label className="field">
            <span>{pending === 'delivered' ? l.t('tasks.proof') : l.t('tasks.failureReason')}</span>
            <textarea
              name={pending === 'delivered' ? 'proofNote' : 'reason'}
              rows={3}
              value={text}
              onChange={(e) => setText(e.target.value)}
            />
          </label>
          <div className="actions big">
            <button type="submit" className="primary" disabled={act.running}>
              {l.t(pending === 'delivered' ? 'tasks.delivered' : 'tasks.failed')}
            </button>
            <button type="button" className="link" onClick={() => setPending(undefined)}>
              {l.t('common.cancel')}
            </button>
          </div>
        </form>
      )}
      <ErrorNotice error={act.error} />
    </article>
  );
}
