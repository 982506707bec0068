/**
 * Enrolment (docs/architecture.md §3.1): the platform issues a document; the page shows it from
 * the exact bytes that are signed (what you see is what you sign); the resident picks a hosted
 * card and types the signing password; `JpkiCardClient` (@watashi/jpki), over the hosted-card
 * transport, verifies the password and signs the SHA-256 DigestInfo of those bytes; the page sends
 * `{signature, certificate}` (and the consent's CMS when asked) to the platform. The password's
 * form is checked before the card is touched (no try used); the card is used by one operation at
 * a time. Afterwards: register a passkey, and back to the relying party when one sent the resident.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { fromBase64, prepareCmsSignature, toBase64, WatashiError } from '@watashi/pki';
import { isWellFormedPin } from '@watashi/jpki';
import {
  completeEnrolment,
  issueEnrolment,
  type CompletedEnrolmentJson,
  type EnrolmentDocument,
  type IssuedEnrolmentJson,
} from '../../api/client.ts';
import {
  Alert,
  Button,
  Buttons,
  Check,
  Facts,
  Field,
  LinkButton,
  Notice,
  PageTitle,
  Status,
} from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { hostedCardsUrl } from '../../lib/config.ts';
import { formatDateTime } from '../../lib/dates.ts';
import { errorCode, useDescribeError, type ShownError } from '../../lib/errors.ts';
import { listHostedCards, triesLeft, withCard, type HostedCard } from '../../lib/card.ts';
import { registerPasskey } from '../../lib/passkeys.ts';
import { serviceRequest } from '../../lib/return-to.ts';
import type { PageProps } from '../../router.tsx';
import { useSession } from '../../session.tsx';
import { CardBinding } from '../card-login/card-binding.tsx';
import { messages } from './messages.ts';

const ATTRS = {
  name: 'attrName',
  address: 'attrAddress',
  birthDate: 'attrBirthDate',
  sex: 'attrSex',
} as const;

/** Parses the exact bytes to be signed; a document that does not parse is not signed. */
function parseDocument(bytes: Uint8Array): EnrolmentDocument {
  const d = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Partial<EnrolmentDocument>;
  if (
    d.type !== 'watashi/enrolment-document' ||
    typeof d.terms?.ja !== 'string' ||
    typeof d.terms.en !== 'string' ||
    !Array.isArray(d.attributes) ||
    typeof d.operator?.id !== 'string'
  )
    throw new TypeError('not an enrolment document');
  return d as EnrolmentDocument;
}

interface Current {
  readonly issued: IssuedEnrolmentJson;
  readonly bytes: Uint8Array;
  readonly doc: EnrolmentDocument;
  readonly consent?: { readonly bytes: Uint8Array; readonly text: string };
}

/** The enrolment page. */
export default function EnrolPage(_props: PageProps) {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { refresh } = useSession();
  const cardsUrl = hostedCardsUrl();
  const [current, setCurrent] = useState<Current | undefined>(undefined);
  const [loadError, setLoadError] = useState(false);
  const [consent, setConsent] = useState(false);
  const [cards, setCards] = useState<readonly HostedCard[]>([]);
  const [cardId, setCardId] = useState('');
  const [pin, setPin] = useState('');
  const [tries, setTries] = useState<number | undefined>(undefined);
  const [invalid, setInvalid] = useState<'card' | 'pin' | undefined>(undefined);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<CompletedEnrolmentJson | undefined>(undefined);
  const [passkey, setPasskey] = useState<'none' | 'busy' | 'done'>('none');
  // After the passkey: sign-in with the card offered for next time, skippable.
  const [cardStep, setCardStep] = useState<'offer' | 'bound' | 'skipped'>('offer');
  const cardRef = useRef<HTMLInputElement>(null);
  const pinRef = useRef<HTMLInputElement>(null);
  const doneRef = useRef<HTMLHeadingElement>(null);
  const request = serviceRequest();

  const load = async (withConsent: boolean): Promise<Current> => {
    const issued = await issueEnrolment(withConsent);
    const bytes = fromBase64(issued.document.bytes);
    const doc = parseDocument(bytes);
    let c: Current = { issued, bytes, doc };
    if (issued.consentDocument !== undefined) {
      // What you see is what you sign: the consent is shown from its exact bytes too.
      const cb = fromBase64(issued.consentDocument);
      const text = JSON.stringify(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(cb)), null, 2);
      c = { ...c, consent: { bytes: cb, text } };
    }
    setCurrent(c);
    return c;
  };

  useEffect(() => {
    load(consent).catch((e: unknown) => {
      setLoadError(true);
      setError(describe(e));
    });
    // A new consent choice: a new document pair.
  }, [consent]);

  useEffect(() => {
    if (cardsUrl === undefined) return;
    listHostedCards(cardsUrl)
      .then((all) => setCards(all.filter((c) => c.status !== 'wiped')))
      .catch((e: unknown) => setError(describe(e)));
  }, []);

  /** Asks the card how many tries are left (an empty VERIFY uses none). */
  const probeTries = (id: string): void => {
    setTries(undefined);
    if (cardsUrl === undefined || id === '') return;
    triesLeft(cardsUrl, id, 'sign')
      .then(setTries)
      .catch(() => setTries(undefined));
  };

  const sign = (id: string, password: string, c: Current) => {
    if (cardsUrl === undefined) throw new WatashiError('card_reader_unreachable', 'no card reader');
    // One card session (lib/card.ts withCard): the verified password is forgotten when it ends.
    return withCard(cardsUrl, id, async (client) => {
      // VERIFY the signing password, then COMPUTE DIGITAL SIGNATURE over the SHA-256 DigestInfo.
      const signature = await client.sign('sign', password, c.bytes);
      // The signing certificate (EF 0001) is readable only while the password is verified.
      const certificate = await client.readCertificate('sign');
      let consentCms: Uint8Array | undefined;
      if (c.consent !== undefined) {
        // J-LIS reads the consent from a CMS SignedData with the content inside; the card signs
        // the DigestInfo of its signed attributes in the same session.
        const prepared = await prepareCmsSignature({
          content: c.consent.bytes,
          detached: false,
          certificate,
          signingTime: new Date(),
        });
        consentCms = prepared.finish(await client.signDigestInfo('sign', prepared.digestInfo));
      }
      return { signature, certificate, consentCms };
    });
  };

  const submit = async (): Promise<void> => {
    const id = cardId.trim();
    const password = pin.trim().toUpperCase();
    setInvalid(undefined);
    if (id === '') {
      setInvalid('card');
      cardRef.current?.focus();
      throw new WatashiError('card_id_required', 'no card ID');
    }
    if (!isWellFormedPin('sign', password)) {
      // Checked before the card is touched, so no try is used (docs/jpki.md §3.5).
      setInvalid('pin');
      pinRef.current?.focus();
      throw new WatashiError('card_pin_format', 'not a signing password');
    }
    let c = current;
    if (c === undefined || Date.parse(c.issued.expiresAt) <= Date.now()) c = await load(consent);
    setStatus(t('signing'));
    let signed: Awaited<ReturnType<typeof sign>>;
    try {
      signed = await sign(id, password, c);
    } catch (e) {
      setStatus(undefined);
      const { code } = errorCode(e);
      if (code === 'card_pin_incorrect' || code === 'card_pin_blocked') {
        setPin('');
        setInvalid('pin');
        pinRef.current?.focus();
        probeTries(id);
      }
      throw e;
    }
    setPin('');
    setStatus(t('verifying'));
    try {
      const result = await completeEnrolment(c.issued.id, {
        signature: toBase64(signed.signature),
        certificate: toBase64(signed.certificate),
        ...(signed.consentCms === undefined ? {} : { consentCms: toBase64(signed.consentCms) }),
      });
      setStatus(undefined);
      setDone(result);
      await refresh();
    } catch (e) {
      setStatus(undefined);
      // A refused document is not signed again: a fresh one for the next attempt.
      await load(consent).catch((err: unknown) => console.warn('could not load a new document', err));
      throw e;
    }
  };

  useEffect(() => {
    if (done !== undefined) doneRef.current?.focus();
  }, [done]);

  const onSubmit = (e: Event): void => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    submit()
      .catch((err: unknown) => setError(describe(err)))
      .finally(() => setBusy(false));
  };

  if (done !== undefined) {
    const level = done.proofingLevel >= 3 ? 'level3' : done.proofingLevel === 2 ? 'level2' : 'level1';
    return (
      <div id="enrol">
        <PageTitle text={t('title')} />
        <section id="done" aria-labelledby="done-heading">
          <h2 id="done-heading" tabindex={-1} ref={doneRef}>
            {t('doneTitle')}
          </h2>
          <p id="done-detail">{done.created ? t('doneCreated') : t('doneReproofed')}</p>
          {done.consentId === undefined ? null : <p id="done-consent">{t('doneConsent')}</p>}
          <p id="done-level" class="level" data-level={done.proofingLevel}>
            {t('doneLevel', { level: t(level) })}
          </p>
          {passkey === 'done' ? null : <p>{t('passkeyNext')}</p>}
          {passkey === 'done' && cardStep !== 'skipped' && cardsUrl !== undefined ? (
            <CardBinding onBound={() => setCardStep('bound')} onSkip={() => setCardStep('skipped')} />
          ) : null}
          <Buttons>
            {passkey === 'done' ? null : (
              <Button
                id="register-passkey"
                busy={passkey === 'busy'}
                onClick={() => {
                  setError(undefined);
                  setPasskey('busy');
                  setStatus(t('passkeyWaiting'));
                  registerPasskey()
                    .then((a) => {
                      setPasskey('done');
                      setStatus(t('passkeyDone', { label: a.label ?? '' }));
                    })
                    .catch((e: unknown) => {
                      setPasskey('none');
                      setStatus(undefined);
                      setError(describe(e));
                    });
                }}
              >
                {t('registerPasskey')}
              </Button>
            )}
            {request === undefined ? null : (
              <LinkButton
                id="to-service"
                href={request.returnTo}
                variant={passkey === 'done' && cardStep !== 'offer' ? 'primary' : 'secondary'}
              >
                {t('toService')}
              </LinkButton>
            )}
            <LinkButton id="to-account" href="/wallet/account" variant="secondary">
              {t('toAccount')}
            </LinkButton>
          </Buttons>
        </section>
        <Status message={status} />
        <Alert error={error} />
      </div>
    );
  }

  const d = current?.doc;
  return (
    <div id="enrol">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <section id="document-section" aria-labelledby="document-heading">
        <h2 id="document-heading">{t('documentHeading')}</h2>
        <div
          id="document"
          class="document-box"
          aria-busy={d === undefined && !loadError ? 'true' : undefined}
          data-nonce={d?.nonce}
          data-enrolment-id={current?.issued.id}
        >
          {d === undefined ? (
            <p>{loadError ? t('loadFailed') : t('loading')}</p>
          ) : (
            <>
              <Facts
                rows={[
                  [t('request'), d.purpose === 'reproofing' ? t('requestReproof') : t('requestEnrol')],
                  [t('operator'), d.operator.id],
                  [
                    t('attributesRead'),
                    <span id="document-attributes" data-attributes={d.attributes.join(' ')}>
                      {d.attributes
                        .map((a: string) => (Object.hasOwn(ATTRS, a) ? t(ATTRS[a as keyof typeof ATTRS]) : a))
                        .join(locale === 'en' ? ', ' : '、')}
                    </span>,
                  ],
                  [t('signBefore'), formatDateTime(d.expiresAt, locale)],
                ]}
              />
              <div id="document-terms" class="document" lang={locale === 'en' ? 'en' : 'ja'}>
                {locale === 'en' ? d.terms.en : d.terms.ja}
              </div>
            </>
          )}
        </div>
      </section>
      {cardsUrl === undefined ? (
        <Notice id="no-reader" kind="warning">
          <p>{t('noReader')}</p>
        </Notice>
      ) : (
        <form id="enrol-form" noValidate onSubmit={onSubmit}>
          <h2>{t('signHeading')}</h2>
          <p class="hint">{t('simulatorNote')}</p>
          <Field
            id="card-id"
            label={t('cardId')}
            hint={
              <>
                {t('cardIdHint')}
                {tries === undefined ? null : (
                  <span id="pin-tries" class="tries">
                    {' '}
                    {tries === 0 ? t('locked') : t('triesLeft', { n: tries })}
                  </span>
                )}
              </>
            }
            value={cardId}
            onValue={(v) => setCardId(v)}
            inputRef={cardRef}
            list="card-list"
            autocomplete="off"
            autocapitalize="off"
            spellcheck={false}
            invalid={invalid === 'card'}
          />
          <datalist id="card-list">
            {cards.map((c) => (
              <option key={c.id} value={c.id} label={c.holder} />
            ))}
          </datalist>
          <CardChange value={cardId} onSettled={probeTries} />
          <Field
            id="sign-pin"
            type="password"
            label={t('pin')}
            hint={t('pinHint')}
            value={pin}
            onValue={setPin}
            inputRef={pinRef}
            autocomplete="off"
            autocapitalize="characters"
            spellcheck={false}
            maxLength={16}
            invalid={invalid === 'pin'}
          />
          <Check id="consent-latest" checked={consent} onChange={setConsent} hint={t('consentHint')}>
            {t('consentLabel')}
          </Check>
          {current?.consent === undefined ? null : (
            <details id="consent-document-box" open>
              <summary>{t('consentDocument')}</summary>
              <div>
                <pre id="consent-document" class="document">
                  {current.consent.text}
                </pre>
              </div>
            </details>
          )}
          <Buttons>
            <Button id="enrol-submit" type="submit" busy={busy}>
              {t('submit')}
            </Button>
          </Buttons>
        </form>
      )}
      <Status message={status} />
      <Alert error={error} />
    </div>
  );
}

/** Calls `onSettled` with the card ID once typing has paused (a card ID typed or picked). */
function CardChange({
  value,
  onSettled,
}: {
  readonly value: string;
  readonly onSettled: (id: string) => void;
}) {
  useEffect(() => {
    const id = value.trim();
    const timer = setTimeout(() => onSettled(id), 400);
    return () => clearTimeout(timer);
  }, [value]);
  return null;
}
