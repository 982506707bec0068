/**
 * Personas: list, make, edit in the same form, delete after a confirmation. Bad input is caught
 * here first (a name, at least one claim) with the field marked and focused; what the API refuses
 * is shown in words (the code kept in `data-error-code`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  createPersona,
  deletePersona,
  listPersonas,
  updatePersona,
  type PersonasJson,
  type PersonaView,
  type WatashiClaim,
} from '../../api/client.ts';
import { SignedOut } from '../../components/signed-out.tsx';
import { Alert, Button, Buttons, Check, Field, PageTitle, Status } from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { DERIVED, useClaims, VERIFIED } from '../../lib/claims.ts';
import { formatDate } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import type { PageProps } from '../../router.tsx';
import { messages } from './messages.ts';

/** The personas page. */
export default function PersonasPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const claims = useClaims();
  const describe = useDescribeError(messages);
  const [data, setData] = useState<PersonasJson | null | undefined>(undefined);
  const [editing, setEditing] = useState<PersonaView | undefined>(undefined);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<ReadonlySet<WatashiClaim>>(new Set());
  const [residence, setResidence] = useState<'prefecture' | 'municipality'>('prefecture');
  const [invalid, setInvalid] = useState<'name' | 'claims' | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const nameRef = useRef<HTMLInputElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const load = async (): Promise<void> => setData(await listPersonas());
  useEffect(() => {
    load().catch((e: unknown) => setError(describe(e)));
  }, []);

  const reset = (): void => {
    setEditing(undefined);
    setName('');
    setChosen(new Set());
    setResidence('prefecture');
    setInvalid(undefined);
  };
  const toggle = (c: WatashiClaim, on: boolean): void => {
    const next = new Set(chosen);
    if (on) next.add(c);
    else next.delete(c);
    setChosen(next);
  };
  const fail = (e: unknown): void => {
    setStatus(undefined);
    setError(describe(e));
  };

  const save = async (): Promise<void> => {
    setInvalid(undefined);
    const trimmed = name.trim();
    const list = [...VERIFIED, ...DERIVED].filter((c) => chosen.has(c));
    if (trimmed === '') {
      setInvalid('name');
      nameRef.current?.focus();
      throw new ApiError('persona_name_required', 400, 'a name is required');
    }
    if (list.length === 0) {
      setInvalid('claims');
      document.getElementById(`claim-${VERIFIED[0] ?? 'name'}`)?.focus();
      throw new ApiError('persona_claims_required', 400, 'pick at least one claim');
    }
    const body = { name: trimmed, claims: list, ...(chosen.has('resident_of') ? { residence } : {}) };
    const was = editing;
    try {
      const saved = was === undefined ? await createPersona(body) : await updatePersona(was.id, body);
      reset();
      await load();
      setError(undefined);
      setStatus(t(was === undefined ? 'createdStatus' : 'savedStatus', { name: saved.name }));
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'persona_name_taken' || e.code === 'request_invalid')) {
        setInvalid('name');
        nameRef.current?.focus();
      } else if (e instanceof ApiError && e.code === 'persona_not_found') {
        reset();
        await load();
      }
      throw e;
    }
  };

  const remove = async (p: PersonaView): Promise<void> => {
    if (!window.confirm(t('confirmDelete', { name: p.name }))) return;
    await deletePersona(p.id);
    if (editing?.id === p.id) reset();
    await load();
    setStatus(t('deletedStatus', { name: p.name }));
    headingRef.current?.focus();
  };

  if (data === null)
    return (
      <>
        <PageTitle text={t('title')} />
        <SignedOut />
      </>
    );
  const box = (c: WatashiClaim) => (
    <Check
      key={c}
      id={`claim-${c}`}
      name="claims"
      value={c}
      checked={chosen.has(c)}
      onChange={(on) => toggle(c, on)}
    >
      {claims.label(c)}
    </Check>
  );
  return (
    <div id="personas-page">
      <PageTitle text={t('title')} />
      <section id="personas" aria-labelledby="list-heading" hidden={data === undefined}>
        <p>{t('intro')}</p>
        <h2 id="list-heading">{t('listHeading')}</h2>
        {data?.personas.length === 0 ? <p id="no-personas">{t('none')}</p> : null}
        <ul id="persona-list" class="items">
          {(data?.personas ?? []).map((p) => (
            <li key={p.id} data-persona-id={p.id} data-persona-name={p.name}>
              <h3>{p.name}</h3>
              <p>
                <span data-claims={p.claims.join(' ')}>{claims.list(p.claims)}</span>
                {p.residence === null ? null : (
                  <>
                    <br />
                    <span class="hint">
                      {t(p.residence === 'municipality' ? 'residenceMunicipality' : 'residencePrefecture')}
                    </span>
                  </>
                )}
                <br />
                <span class="hint">{t('created', { date: formatDate(p.createdAt, locale) })}</span>
              </p>
              <Buttons>
                <Button
                  variant="secondary"
                  aria-label={`${t('edit')}: ${p.name}`}
                  onClick={() => {
                    setEditing(p);
                    setName(p.name);
                    setChosen(new Set(p.claims));
                    setResidence(p.residence ?? 'prefecture');
                    setInvalid(undefined);
                    setError(undefined);
                    headingRef.current?.focus();
                  }}
                >
                  {t('edit')}
                </Button>
                <Button
                  variant="danger"
                  aria-label={`${t('remove')}: ${p.name}`}
                  onClick={() => {
                    setError(undefined);
                    remove(p).catch(fail);
                  }}
                >
                  {t('remove')}
                </Button>
              </Buttons>
            </li>
          ))}
        </ul>
        {data === undefined ? null : (
          <p id="persona-count" class="hint">
            {t('count', { n: data.personas.length, max: data.max })}
          </p>
        )}
        <form
          id="persona-form"
          noValidate
          aria-labelledby="persona-form-heading"
          onSubmit={(e) => {
            e.preventDefault();
            setBusy(true);
            save()
              .catch(fail)
              .finally(() => setBusy(false));
          }}
        >
          <h2 id="persona-form-heading" tabindex={-1} ref={headingRef}>
            {editing === undefined ? t('createHeading') : t('editHeading', { name: editing.name })}
          </h2>
          <Field
            id="persona-name"
            label={t('name')}
            hint={t('nameHint')}
            value={name}
            onValue={setName}
            inputRef={nameRef}
            maxLength={40}
            autocomplete="off"
            invalid={invalid === 'name'}
          />
          <fieldset
            id="persona-claims"
            class="field"
            aria-describedby="persona-claims-hint"
            aria-invalid={invalid === 'claims' ? 'true' : undefined}
          >
            <legend>{t('claims')}</legend>
            <p id="persona-claims-hint" class="hint">
              {t('claimsHint')}
            </p>
            <h3>{t('verifiedGroup')}</h3>
            {VERIFIED.map(box)}
            <h3>{t('derivedGroup')}</h3>
            {DERIVED.map(box)}
          </fieldset>
          <fieldset
            id="persona-residence"
            class="field"
            disabled={!chosen.has('resident_of')}
            aria-describedby="persona-residence-hint"
          >
            <legend>{t('residence')}</legend>
            <p id="persona-residence-hint" class="hint">
              {t('residenceHint')}
            </p>
            <Check
              type="radio"
              id="residence-prefecture"
              name="residence"
              value="prefecture"
              checked={residence === 'prefecture'}
              onChange={() => setResidence('prefecture')}
            >
              {t('prefecture')}
            </Check>
            <Check
              type="radio"
              id="residence-municipality"
              name="residence"
              value="municipality"
              checked={residence === 'municipality'}
              onChange={() => setResidence('municipality')}
            >
              {t('municipality')}
            </Check>
          </fieldset>
          <Buttons>
            <Button id="persona-submit" type="submit" busy={busy}>
              {editing === undefined ? t('create') : t('save')}
            </Button>
            {editing === undefined ? null : (
              <Button
                id="persona-cancel"
                variant="secondary"
                onClick={() => {
                  reset();
                  setError(undefined);
                  nameRef.current?.focus();
                }}
              >
                {t('cancelEdit')}
              </Button>
            )}
          </Buttons>
        </form>
        <p class="hint">{t('footnote')}</p>
        <p>
          <a href="/wallet/consents">{t('toConsents')}</a>
        </p>
      </section>
      <Status message={status} />
      <Alert error={error} />
    </div>
  );
}
