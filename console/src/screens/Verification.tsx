import { type FormEvent, useState } from 'react';
import { api, newKey } from '../api/client';
import { enumKey, type HelpRequest, type Page, PREFIX, type VerificationTask } from '../api/types';
import { Badge } from '../components/Badge';
import { ErrorNotice } from '../components/ErrorNotice';
import { Field } from '../components/Field';
import { useAction, useLoad } from '../hooks';
import { useLabels } from '../labels';
import { useSession } from '../session';

const OUTCOMES = ['verified', 'rejected', 'duplicate', 'no_answer'] as const;
type OutcomeChoice = (typeof OUTCOMES)[number];

/** The call-back queue (overdue first): claim a task, phone the requester, record what the call found. */
export function Verification() {
  const l = useLabels();
  const queue = useLoad(
    () => api.get<{ tasks?: VerificationTask[]; page?: Page }>('/verification-tasks', { pageSize: 100 }),
    [],
  );
  // The task being worked on is kept here, not looked up in the queue: once completed it leaves the queue,
  // and the workspace still shows what was recorded.
  const [task, setTask] = useState<VerificationTask>();
  const tasks = queue.data?.tasks ?? [];

  return (
    <section className="screen split">
      <div className="card">
        <div className="toolbar">
          <h2>{l.t('verification.queue')}</h2>
          <button type="button" onClick={queue.reload}>
            {l.t('common.refresh')}
          </button>
        </div>
        <ErrorNotice error={queue.error} />
        <ul className="tasks" data-testid="verification-queue">
          {tasks.map((t) => (
            <li
              key={t.id}
              data-id={t.id}
              data-request={t.helpRequestId}
              className={t.id === task?.id ? 'selected' : ''}
            >
              <button type="button" className="row" onClick={() => setTask(t)}>
                <Badge tone={enumKey(t.urgency, PREFIX.urgency)}>{l.urgency(t.urgency)}</Badge>
                <span>{t.helpRequestId}</span>
                <span>{l.t(`verification.taskStatus.${enumKey(t.status, PREFIX.taskStatus)}`)}</span>
                {t.overdue && <Badge tone="overdue">{l.t('verification.overdue')}</Badge>}
                <small>
                  {l.t('common.dueAt')} {l.time(t.dueAt)}
                </small>
              </button>
            </li>
          ))}
        </ul>
        {!queue.loading && tasks.length === 0 && <p className="empty">{l.t('common.empty')}</p>}
      </div>
      {task && <TaskWorkspace key={task.id} task={task} onChanged={queue.reload} />}
    </section>
  );
}

function TaskWorkspace({ task, onChanged }: { task: VerificationTask; onChanged: () => void }) {
  const l = useLabels();
  const { principal } = useSession();
  const request = useLoad(
    () => api.get<{ helpRequest: HelpRequest }>(`/help-requests/${encodeURIComponent(task.helpRequestId)}`),
    [task.helpRequestId],
  );
  const [current, setCurrent] = useState(task);
  const [outcome, setOutcome] = useState<OutcomeChoice>('verified');
  const [text, setText] = useState('');
  const [duplicateOf, setDuplicateOf] = useState('');
  const [key, setKey] = useState(newKey);
  const [recorded, setRecorded] = useState(false);

  const claim = useAction(
    (action: 'claim' | 'release') =>
      api.post<{ task: VerificationTask }>(`/verification-tasks/${encodeURIComponent(task.id)}/${action}`),
    (res) => {
      setCurrent(res.task);
      onChanged();
    },
  );
  const record = useAction(
    () => {
      const body: Record<string, unknown> = { idempotencyKey: key };
      if (outcome === 'verified') body.verified = { note: text };
      if (outcome === 'rejected') body.rejected = { reason: text };
      if (outcome === 'duplicate') body.duplicate = { duplicateOfHelpRequestId: duplicateOf, note: text };
      if (outcome === 'no_answer') body.noAnswer = { note: text };
      return api.post<{ task: VerificationTask }>(
        `/verification-tasks/${encodeURIComponent(task.id)}/outcome`,
        body,
      );
    },
    (res) => {
      setCurrent(res.task);
      setRecorded(true);
      request.reload();
      setKey(newKey());
      setText('');
      onChanged();
    },
  );
  const status = enumKey(current.status, PREFIX.taskStatus);
  const mine = status === 'claimed' && current.claimedBy === principal?.subject;
  const hr = request.data?.helpRequest;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setRecorded(false);
    void record.run();
  };

  return (
    <div className="card" data-testid="verification-workspace" data-task={task.id}>
      <h3>{l.t('verification.request')}</h3>
      <ErrorNotice error={request.error} />
      {hr && (
        <dl className="facts">
          <dt>{l.t('requests.requester')}</dt>
          <dd>{hr.requester?.name ?? '—'}</dd>
          <dt>{l.t('requests.phone')}</dt>
          <dd data-testid="requester-phone">
            {hr.requester?.phone ? (
              <a href={`tel:${hr.requester.phone}`}>{hr.requester.phone}</a>
            ) : (
              l.t('common.redacted')
            )}
          </dd>
          <dt>{l.t('common.district')}</dt>
          <dd>
            {l.place(hr.location)} {hr.location?.address}
          </dd>
          <dt>{l.t('requests.needs')}</dt>
          <dd>
            {(hr.needs ?? []).map((n) => (
              <div key={n.needId ?? n.itemName}>
                {l.category(n.category)}: {n.itemName} × {l.quantity(n.quantity)}
              </div>
            ))}
          </dd>
          <dt>{l.t('common.people')}</dt>
          <dd>{hr.peopleAffected}</dd>
          {(hr.vulnerableGroups?.length ?? 0) > 0 && (
            <>
              <dt>{l.t('requests.vulnerable')}</dt>
              <dd>{hr.vulnerableGroups?.map(l.vulnerable).join('、')}</dd>
            </>
          )}
          {hr.description && (
            <>
              <dt>{l.t('requests.description')}</dt>
              <dd>{hr.description}</dd>
            </>
          )}
          <dt>{l.t('common.status')}</dt>
          <dd>{l.status(hr.status)}</dd>
        </dl>
      )}
      <p>
        {l.t(`verification.taskStatus.${status}`)}
        {current.claimedBy && ` · ${l.t('verification.claimedBy')} ${current.claimedBy}`}
        {' · '}
        {l.t('verification.attempts', { count: current.attempts?.length ?? 0 })}
        {status === 'completed' &&
          ` · ${l.t(`verification.outcomes.${enumKey(current.outcome, PREFIX.outcome)}`)}`}
      </p>
      {status !== 'completed' && (
        <div className="actions">
          <button
            type="button"
            className="primary"
            data-testid="claim"
            disabled={claim.running || mine}
            onClick={() => claim.run('claim')}
          >
            {l.t('verification.claim')}
          </button>
          {status === 'claimed' && (
            <button type="button" disabled={claim.running} onClick={() => claim.run('release')}>
              {l.t('verification.release')}
            </button>
          )}
        </div>
      )}
      <ErrorNotice error={claim.error} />
      {status !== 'completed' && (
        <form className="form" onSubmit={submit} data-testid="outcome-form">
          <h3>{l.t('verification.record')}</h3>
          <fieldset className="checks">
            <legend>{l.t('verification.outcome')}</legend>
            {OUTCOMES.map((o) => (
              <label key={o}>
                <input
                  type="radio"
                  name="outcome"
                  value={o}
                  checked={outcome === o}
                  onChange={() => setOutcome(o)}
                />
                {l.t(`verification.${o}`)}
              </label>
            ))}
          </fieldset>
          {outcome === 'duplicate' && (
            <Field
              label={l.t('verification.duplicateOf')}
              name="duplicate.duplicateOfHelpRequestId"
              error={record.error}
            >
              <input value={duplicateOf} onChange={(e) => setDuplicateOf(e.target.value)} />
            </Field>
          )}
          <Field
            label={outcome === 'rejected' ? l.t('verification.reason') : l.t('verification.note')}
            name={outcome === 'rejected' ? 'rejected.reason' : undefined}
            error={record.error}
          >
            <textarea name="note" rows={2} value={text} onChange={(e) => setText(e.target.value)} />
          </Field>
          <ErrorNotice error={record.error} />
          <button type="submit" className="primary" disabled={record.running}>
            {l.t('common.save')}
          </button>
        </form>
      )}
      {recorded && (
        <div className="notice ok" role="status" data-testid="outcome-recorded">
          {l.t('verification.recorded')}
        </div>
      )}
    </div>
  );
}
