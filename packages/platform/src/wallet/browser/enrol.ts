/**
 * The enrolment page (docs/architecture.md §3.1): the platform issues an enrolment document; the page shows
 * it; the resident picks a hosted card and types the signing password; the card — driven here, in
 * the browser, by `JpkiCardClient` over {@link HostedCardTransport} — verifies the password and
 * signs the SHA-256 DigestInfo of the document's exact bytes (RSASSA-PKCS1-v1_5); the page sends
 * `{signature, certificate}` to `POST /api/enrolments/:id/complete`.
 *
 * What you see is what you sign: the document is shown from the very bytes that are signed
 * (decoded and parsed here), not from a separate rendering the server could make differ.
 *
 * The card is used by one operation at a time (the password-tries probe and the signature would
 * otherwise interleave their SELECTs on the one card session).
 */
import { fromBase64, prepareCmsSignature, toBase64, WatashiError } from '@watashi/pki';
import { isWellFormedPin, JpkiCardClient } from '@watashi/jpki';
import { api, me } from './api.ts';
import { bi, busy, byId, el, Feedback } from './dom.ts';
import { describeError } from './messages.ts';
import { HostedCardTransport, listHostedCards, type HostedCard } from './hosted-card.ts';
import { registerPasskey } from './passkeys.ts';
import { serviceRequest } from './return-to.ts';

/** `POST /api/enrolments` (src/enrolment/routes.ts). */
interface IssuedEnrolment {
  readonly id: string;
  readonly document: { readonly bytes: string; readonly rendering: string };
  /** The consent to latest-basic-4 provision, when asked for (base64 of the exact bytes). */
  readonly consentDocument?: string;
  readonly expiresAt: string;
}

/** `POST /api/enrolments/:id/complete`. */
interface CompletedEnrolment {
  readonly accountId: string;
  readonly created: boolean;
  readonly proofingLevel: number;
  readonly consentId?: string;
}

/** The signed document (src/enrolment/document.ts, `EnrolmentDocument`), as far as it is shown. */
interface EnrolmentDocument {
  readonly type: string;
  readonly purpose: string;
  readonly operator: { readonly id: string; readonly url: string };
  readonly attributes: ReadonlyArray<string>;
  readonly termsVersion: string;
  readonly terms: { readonly ja: string; readonly en: string };
  readonly nonce: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

const ATTRIBUTES: Readonly<Record<string, readonly [string, string]>> = {
  name: ['氏名', 'name'],
  address: ['住所', 'address'],
  birthDate: ['生年月日', 'date of birth'],
  sex: ['性別', 'sex'],
};

const KINDS: Readonly<Record<HostedCard['kind'], string>> = {
  card: 'カード card',
  android: 'Android',
  ios: 'iPhone',
};

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

function renderDocument(box: HTMLElement, d: EnrolmentDocument): void {
  const attrs = d.attributes.map((a) => ATTRIBUTES[a] ?? [a, a]);
  const dl = el(
    'dl',
    { class: 'facts' },
    el('dt', {}, bi('申込み', 'Request')),
    el(
      'dd',
      {},
      d.purpose === 'reproofing'
        ? bi('本人確認（再確認）', 'identity re-proofing')
        : bi('本人確認と民間IDの発行', 'identity verification and a private ID'),
    ),
    el('dt', {}, bi('事業者', 'Operator')),
    el('dd', {}, `${d.operator.id} (${d.operator.url})`),
    el('dt', {}, bi('読み取る情報', 'Attributes read')),
    el(
      'dd',
      { id: 'document-attributes' },
      bi(attrs.map((a) => a[0]).join('、'), attrs.map((a) => a[1]).join(', ')),
    ),
    el('dt', {}, bi('署名の有効期限', 'Sign before')),
    el('dd', {}, new Date(d.expiresAt).toLocaleString('ja-JP')),
    el('dt', {}, bi('ワンタイム番号', 'Single-use nonce')),
    el('dd', {}, el('code', {}, d.nonce)),
  );
  box.replaceChildren(
    dl,
    el('div', { id: 'document-terms', lang: 'ja' }, d.terms.ja),
    el('hr'),
    el('div', { lang: 'en', class: 'en' }, d.terms.en),
  );
  box.removeAttribute('aria-busy');
}

/** Runs card operations one after another. */
function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** The enrolment page. */
export async function enrolPage(): Promise<void> {
  const feedback = new Feedback();
  const box = byId('document');
  const cardsUrl = document.body.dataset['hostedCardsUrl'];
  let current: { issued: IssuedEnrolment; bytes: Uint8Array; consent?: Uint8Array } | undefined;
  const consentBox = document.getElementById('consent-latest') as HTMLInputElement | null;

  const loadDocument = async (): Promise<void> => {
    const consent = consentBox?.checked === true;
    const issued = await api<IssuedEnrolment>('POST', '/api/enrolments', consent ? { consent: true } : {});
    const bytes = fromBase64(issued.document.bytes);
    renderDocument(box, parseDocument(bytes));
    const shown = document.getElementById('consent-document');
    if (issued.consentDocument === undefined) {
      current = { issued, bytes };
      if (shown !== null) shown.hidden = true;
    } else {
      // What you see is what you sign: the consent is shown from its exact bytes too.
      const consentBytes = fromBase64(issued.consentDocument);
      current = { issued, bytes, consent: consentBytes };
      if (shown !== null) {
        shown.textContent = JSON.stringify(
          JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(consentBytes)),
          null,
          2,
        );
        shown.hidden = false;
      }
    }
  };

  const docReady = loadDocument().catch((e: unknown) => {
    box.replaceChildren(el('p', {}, bi('文書を読み込めませんでした。', 'The document could not be loaded.')));
    feedback.error(e);
  });
  if (cardsUrl === undefined) {
    await docReady;
    return;
  }
  // Asking for the consent (or no longer) issues a new document pair to sign.
  consentBox?.addEventListener('change', () => {
    void docReady.then(loadDocument).catch((e: unknown) => feedback.error(e));
  });

  const form = byId<HTMLFormElement>('enrol-form');
  const cardInput = byId<HTMLInputElement>('card-id');
  const pinInput = byId<HTMLInputElement>('sign-pin');
  const submit = byId<HTMLButtonElement>('enrol-submit');
  const tries = byId('pin-tries');
  const withCard = serial();

  const showTries = (n: number): void => {
    tries.replaceChildren(
      n === 0
        ? bi('署名用パスワードはロックされています。', 'The signing password is locked.')
        : bi(
            `署名用パスワードの残り回数: ${n}回`,
            `Signing password: ${n} ${n === 1 ? 'try' : 'tries'} left`,
          ),
    );
  };

  // Offer the simulator's cards; typing an ID works as well.
  void listHostedCards(cardsUrl)
    .then((cards) => {
      byId('card-list').replaceChildren(
        ...cards
          .filter((c) => c.status !== 'wiped')
          .map((c) =>
            el('option', {
              value: c.id,
              label: `${c.holder} — ${KINDS[c.kind]}${c.status === 'active' ? '' : ` (${c.status})`}${c.signing ? '' : ' 署名用証明書なし no signing certificate'}`,
            }),
          ),
      );
    })
    .catch((e: unknown) => feedback.error(e));

  // Tell the resident how many tries are left before they type (an empty VERIFY uses no try).
  cardInput.addEventListener('change', () => {
    const id = cardInput.value.trim();
    tries.replaceChildren();
    if (id === '') return;
    void withCard(async () => {
      const t = new HostedCardTransport(cardsUrl, id);
      await t.begin();
      try {
        showTries(await new JpkiCardClient(t).pinStatus('sign'));
      } finally {
        await t.close();
      }
    }).catch((e: unknown) => {
      const d = describeError(e);
      tries.replaceChildren(bi(d.ja, d.en), ' ', el('code', {}, d.code));
    });
  });

  const sign = async (cardId: string, pin: string, bytes: Uint8Array, consent?: Uint8Array) =>
    withCard(async () => {
      const t = new HostedCardTransport(cardsUrl, cardId);
      await t.begin();
      try {
        const client = new JpkiCardClient(t);
        // VERIFY the signing password, then COMPUTE DIGITAL SIGNATURE over the SHA-256 DigestInfo.
        const signature = await client.sign('sign', pin, bytes);
        // The signing certificate (EF 0001) is readable only while the password is verified.
        const certificate = await client.readCertificate('sign');
        // The consent goes on to J-LIS, which reads it from a CMS SignedData with the content
        // inside; the card signs the DigestInfo of its signed attributes in the same session.
        let consentCms: Uint8Array | undefined;
        if (consent !== undefined) {
          const prepared = await prepareCmsSignature({
            content: consent,
            detached: false,
            certificate,
            signingTime: new Date(),
          });
          consentCms = prepared.finish(await client.signDigestInfo('sign', prepared.digestInfo));
        }
        return { signature, certificate, consentCms };
      } finally {
        // The card leaves the reader: the verified password is forgotten.
        await t.close().catch((e: unknown) => console.warn('could not end the card session', e));
      }
    });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const cardId = cardInput.value.trim();
    const pin = pinInput.value.trim().toUpperCase();
    cardInput.removeAttribute('aria-invalid');
    pinInput.removeAttribute('aria-invalid');
    if (cardId === '') {
      cardInput.setAttribute('aria-invalid', 'true');
      cardInput.focus();
      feedback.error(new WatashiError('card_id_required', 'no card ID'));
      return;
    }
    if (!isWellFormedPin('sign', pin)) {
      // Checked before the card is touched, so no try is used (docs/jpki.md §3.5).
      pinInput.setAttribute('aria-invalid', 'true');
      pinInput.focus();
      feedback.error(new WatashiError('card_pin_format', 'not a signing password'));
      return;
    }
    void busy(submit, async () => {
      await docReady;
      if (current === undefined || Date.parse(current.issued.expiresAt) <= Date.now()) await loadDocument();
      const doc = current;
      if (doc === undefined) return;
      feedback.status('カードで署名しています…', 'Signing with your card…');
      let signed: { signature: Uint8Array; certificate: Uint8Array; consentCms?: Uint8Array | undefined };
      try {
        signed = await sign(cardId, pin, doc.bytes, doc.consent);
      } catch (e) {
        const d = feedback.error(e);
        if (d.code === 'card_pin_incorrect' || d.code === 'card_pin_blocked') {
          pinInput.value = '';
          pinInput.setAttribute('aria-invalid', 'true');
          pinInput.focus();
          cardInput.dispatchEvent(new Event('change'));
        }
        return;
      }
      pinInput.value = '';
      feedback.status(
        '署名を確認しています（J-LIS に証明書の失効を照会しています）…',
        'Verifying the signature (asking J-LIS whether the certificate is revoked)…',
      );
      let done: CompletedEnrolment;
      try {
        done = await api<CompletedEnrolment>('POST', `/api/enrolments/${doc.issued.id}/complete`, {
          signature: toBase64(signed.signature),
          certificate: toBase64(signed.certificate),
          ...(signed.consentCms === undefined ? {} : { consentCms: toBase64(signed.consentCms) }),
        });
      } catch (e) {
        feedback.error(e);
        // A refused document is not signed again: show a fresh one for the next attempt.
        current = undefined;
        await loadDocument().catch((err: unknown) => console.warn('could not load a new document', err));
        return;
      }
      feedback.clearStatus();
      await showDone(done);
    }).catch((e: unknown) => feedback.error(e));
  });

  const showDone = async (done: CompletedEnrolment): Promise<void> => {
    form.hidden = true;
    byId('document-section').hidden = true;
    byId('done-detail').replaceChildren(
      done.created
        ? bi('民間IDを発行しました。', 'Your private ID has been issued.')
        : bi('既存のアカウントの本人確認を更新しました。', 'Your existing account has been re-proofed.'),
      ' ',
      ...(done.consentId === undefined
        ? []
        : [
            el(
              'span',
              { id: 'done-consent' },
              bi(
                '最新の基本4情報の提供への同意を J-LIS に登録しました。',
                'Your consent to J-LIS providing your latest basic 4 information is registered.',
              ),
            ),
            ' ',
          ]),
      el(
        'strong',
        { id: 'done-level' },
        bi(`身元確認保証レベル ${done.proofingLevel}`, `JP IAL ${done.proofingLevel}`),
      ),
    );
    const request = serviceRequest();
    if (request !== undefined) {
      // Enrolment signed the resident in: the relying party's request can go on.
      byId<HTMLAnchorElement>('to-service').href = request.returnTo;
      byId('continue').hidden = false;
    }
    const section = byId('done');
    section.hidden = false;
    byId('done-heading').focus();
    const button = byId<HTMLButtonElement>('register-passkey');
    if ((await me()) === null) {
      // Enrolment normally signs the resident in; without a session there is nothing to bind to.
      button.hidden = true;
      return;
    }
    button.addEventListener('click', () => {
      void busy(button, async () => {
        feedback.status('認証器の操作を待っています…', 'Waiting for your authenticator…');
        const a = await registerPasskey();
        button.hidden = true;
        feedback.status(
          `パスキー「${a.label ?? ''}」を登録しました。`,
          `Registered the passkey "${a.label ?? ''}".`,
        );
      }).catch((e: unknown) => feedback.error(e));
    });
  };

  await docReady;
}
