import { type FormEvent, useState } from 'react';
import { api, newKey } from '../api/client';
import { enumValue, type HelpRequest, PREFIX } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { Field, Select } from '../components/Field';
import { useAction } from '../hooks';
import { CATEGORIES, CHANNELS, DISTRICT_CODES, URGENCIES, useLabels, VULNERABLE } from '../labels';

interface NeedDraft {
  category: string;
  itemName: string;
  amount: string;
  unit: string;
}

const blankNeed = (): NeedDraft => ({ category: 'instant_food', itemName: '', amount: '1', unit: '箱' });

/** Records a help request taken by phone or at a desk. Problems name the field, and the input is marked. */
export function RequestForm({ onCreated }: { onCreated: () => void }) {
  const l = useLabels();
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [district, setDistrict] = useState('yanta');
  const [community, setCommunity] = useState('');
  const [address, setAddress] = useState('');
  const [urgency, setUrgency] = useState('high');
  const [channel, setChannel] = useState('hotline');
  const [people, setPeople] = useState('1');
  const [vulnerable, setVulnerable] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [needs, setNeeds] = useState<NeedDraft[]>([blankNeed()]);
  const [created, setCreated] = useState<string>();
  // One key per filled-in form: resubmitting after a network error cannot record the request twice.
  const [key, setKey] = useState(newKey);

  const submit = useAction(
    () =>
      api.post<{ helpRequest: HelpRequest }>('/help-requests', {
        idempotencyKey: key,
        requester: { name, phone },
        location: { district, community, address },
        needs: needs.map((n) => ({
          category: enumValue(n.category, PREFIX.category),
          itemName: n.itemName,
          quantity: { amount: Number(n.amount), unit: n.unit },
        })),
        urgency: enumValue(urgency, PREFIX.urgency),
        vulnerableGroups: vulnerable.map((v) => enumValue(v, PREFIX.vulnerable)),
        peopleAffected: Number(people),
        channel: enumValue(channel, PREFIX.channel),
        description,
      }),
    (res) => {
      setCreated(res.helpRequest.id);
      setKey(newKey());
      setNeeds([blankNeed()]);
      setName('');
      setPhone('');
      setAddress('');
      setDescription('');
      onCreated();
    },
  );
  const err = submit.error;
  const setNeed = (i: number, patch: Partial<NeedDraft>) =>
    setNeeds((all) => all.map((n, j) => (j === i ? { ...n, ...patch } : n)));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setCreated(undefined);
    void submit.run();
  };

  return (
    <form className="card form" onSubmit={onSubmit} data-testid="request-form">
      <h3>{l.t('requests.new')}</h3>
      <div className="grid">
        <Field label={l.t('requests.requester')} name="requester.name" error={err}>
          <input name="requester.name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={l.t('requests.phone')} name="requester.phone" error={err}>
          <input
            name="requester.phone"
            inputMode="tel"
            value={phone}
            onChange={(e) => setPhone(e.target.value)}
          />
        </Field>
        <Field label={l.t('common.district')} name="location.district" error={err}>
          <Select
            name="location.district"
            value={district}
            options={DISTRICT_CODES}
            label={l.district}
            onChange={setDistrict}
          />
        </Field>
        <Field label={l.t('common.community')} name="location.community" error={err}>
          <input name="location.community" value={community} onChange={(e) => setCommunity(e.target.value)} />
        </Field>
        <Field label={l.t('common.address')} name="location.address" error={err}>
          <input name="location.address" value={address} onChange={(e) => setAddress(e.target.value)} />
        </Field>
        <Field label={l.t('common.urgency')} name="urgency" error={err}>
          <Select
            name="urgency"
            value={urgency}
            options={URGENCIES}
            label={l.urgency}
            onChange={setUrgency}
          />
        </Field>
        <Field label={l.t('requests.channel')} name="channel" error={err}>
          <Select name="channel" value={channel} options={CHANNELS} label={l.channel} onChange={setChannel} />
        </Field>
        <Field label={l.t('common.people')} name="peopleAffected" error={err}>
          <input
            name="peopleAffected"
            type="number"
            min={1}
            value={people}
            onChange={(e) => setPeople(e.target.value)}
          />
        </Field>
      </div>
      <fieldset className="checks">
        <legend>{l.t('requests.vulnerable')}</legend>
        {VULNERABLE.map((v) => (
          <label key={v}>
            <input
              type="checkbox"
              checked={vulnerable.includes(v)}
              onChange={(e) =>
                setVulnerable((all) => (e.target.checked ? [...all, v] : all.filter((x) => x !== v)))
              }
            />
            {l.vulnerable(v)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{l.t('requests.needs')}</legend>
        {needs.map((n, i) => (
          <div className="need-row" key={i}>
            <Field label={l.t('common.category')} name={`needs.${i}.category`} error={err}>
              <Select
                value={n.category}
                options={CATEGORIES}
                label={l.category}
                onChange={(v) => setNeed(i, { category: v })}
              />
            </Field>
            <Field label={l.t('common.item')} name={`needs.${i}.itemName`} error={err}>
              <input
                name={`needs.${i}.itemName`}
                value={n.itemName}
                onChange={(e) => setNeed(i, { itemName: e.target.value })}
              />
            </Field>
            <Field label={l.t('common.quantity')} name={`needs.${i}.quantity.amount`} error={err}>
              <input
                name={`needs.${i}.quantity.amount`}
                type="number"
                value={n.amount}
                onChange={(e) => setNeed(i, { amount: e.target.value })}
              />
            </Field>
            <Field label={l.t('common.unit')} name={`needs.${i}.quantity.unit`} error={err}>
              <input
                name={`needs.${i}.quantity.unit`}
                value={n.unit}
                onChange={(e) => setNeed(i, { unit: e.target.value })}
              />
            </Field>
            {needs.length > 1 && (
              <button
                type="button"
                className="link"
                onClick={() => setNeeds((all) => all.filter((_, j) => j !== i))}
              >
                {l.t('requests.removeNeed')}
              </button>
            )}
          </div>
        ))}
        <button type="button" onClick={() => setNeeds((all) => [...all, blankNeed()])}>
          {l.t('requests.addNeed')}
        </button>
      </fieldset>
      <Field label={l.t('requests.description')} name="description" error={err}>
        <textarea
          name="description"
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </Field>
      <ErrorNotice error={err} />
      {created && (
        <div className="notice ok" role="status" data-testid="request-created" data-id={created}>
          {l.t('requests.submitted', { id: created })}
        </div>
      )}
      <button type="submit" className="primary" disabled={submit.running}>
        {l.t('common.save')}
      </button>
    </form>
  );
}
