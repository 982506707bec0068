/**
 * Signing a document with the My Number card (`/wallet/sign`, issue 20): choose a file, see its
 * name, size and SHA-256; type the signing password; see the name and address the signature will
 * show (as the card's signing certificate states them); sign; download the signed file. A PDF gets
 * its signature inside (PAdES), any other file a separate `.p7s` file (CAdES) to keep beside it.
 * The platform time-stamps the signature and embeds the certificate's status (B-LT), so anyone can
 * check it years later on the verification page (`/verify`), even after a move.
 */
import type { PreparedSigningJson, SignedDocumentJson } from '@watashi/platform/wallet-api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { SignedOut } from '../../components/signed-out.tsx';
import {
  Alert,
  Button,
  Buttons,
  Facts,
  FilePicker,
  Notice,
  PageTitle,
  Status,
} from '../../components/ui.tsx';
import { useLocale, useT } from '../../i18n/index.ts';
import { formatDate, formatDateTime } from '../../lib/dates.ts';
import { useDescribeError, type ShownError } from '../../lib/errors.ts';
import { useSession } from '../../session.tsx';
import { CardForm } from '../card-login/card-form.tsx';
import { checkDeviceKeysOnce } from '../../lib/device-cert.ts';
import { getDeviceKey, type DeviceKey } from '../../lib/device-key.ts';
import {
  fromBase64,
  groupedHash,
  readChosen,
  signWithCardSession,
  signWithDeviceKey,
  type ChosenFile,
} from './sign.ts';
import { messages } from './messages.ts';

/** Size in words: 12,345 バイト (12 KB). */
function sizeText(n: number, locale: string, bytes: string): string {
  const whole = n.toLocaleString(locale === 'en' ? 'en' : 'ja');
  if (n < 1024) return `${whole} ${bytes}`;
  const kb = n / 1024;
  return `${whole} ${bytes} (${kb < 1024 ? `${Math.round(kb)} KB` : `${(kb / 1024).toFixed(1)} MB`})`;
}

/** The signing page. */
export default function SignPage() {
  const t = useT(messages);
  const locale = useLocale();
  const describe = useDescribeError(messages);
  const { session } = useSession();
  const [file, setFile] = useState<ChosenFile | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const [prepared, setPrepared] = useState<PreparedSigningJson | undefined>(undefined);
  const [signed, setSigned] = useState<{ json: SignedDocumentJson; url: string } | undefined>(undefined);
  // The resident's answer to "sign as this person?", awaited inside the open card session.
  const answer = useRef<((go: boolean) => void) | undefined>(undefined);

  // This device's Watashi signing certificate, when it holds an active one (the devices page).
  const [deviceKey, setDeviceKey] = useState<DeviceKey | null>(null);
  const accountId = session.status === 'signed-in' ? session.me.account.id : undefined;
  useEffect(() => {
    if (accountId === undefined) return;
    // After the start-up check, so that a stopped certificate (a move) is not offered.
    checkDeviceKeysOnce()
      .then(() => getDeviceKey(accountId, 'sign'))
      .then((k) => setDeviceKey(k?.certificateInfo()?.state === 'active' ? k : null))
      .catch(() => setDeviceKey(null));
  }, [accountId]);

  useEffect(() => () => answer.current?.(false), []);
  useEffect(() => {
    const url = signed?.url;
    return () => {
      if (url !== undefined) URL.revokeObjectURL(url);
    };
  }, [signed]);

  if (session.status === 'loading') return <p aria-busy="true">…</p>;
  if (session.status !== 'signed-in')
    return (
      <div id="sign">
        <PageTitle text={t('title')} />
        <p>{t('intro')}</p>
        <SignedOut />
      </div>
    );

  const choose = (f: File | undefined) => {
    setError(undefined);
    setSigned(undefined);
    setFile(undefined);
    if (f === undefined) return;
    if (f.size > 10 * 1024 * 1024) {
      setError({ code: 'signature_document_too_large', text: t('err_signature_document_too_large') });
      return;
    }
    readChosen(f)
      .then(setFile)
      .catch((e: unknown) => setError(describe(e)));
  };

  /** Prepares, asks "sign as this person?", signs with the card or this device's key. */
  const run = (
    first: string,
    signingText: string,
    sign: (
      f: ChosenFile,
      confirm: (p: PreparedSigningJson) => Promise<boolean>,
    ) => Promise<SignedDocumentJson | undefined>,
  ) => {
    if (file === undefined) {
      setError({ code: 'signature_file_required', text: t('err_signature_file_required') });
      return;
    }
    setBusy(true);
    setError(undefined);
    setStatus(first);
    void (async () => {
      try {
        const done = await sign(file, (p) => {
          setPrepared(p);
          setStatus(undefined);
          setBusy(false);
          return new Promise<boolean>((resolve) => {
            answer.current = (go) => {
              answer.current = undefined;
              if (go) {
                setBusy(true);
                setStatus(signingText);
              }
              resolve(go);
            };
          });
        });
        setPrepared(undefined);
        setStatus(undefined);
        if (done === undefined) return;
        const blob = new Blob([new Uint8Array(fromBase64(done.file))], { type: done.mediaType });
        setSigned({ json: done, url: URL.createObjectURL(blob) });
      } catch (e) {
        setPrepared(undefined);
        setStatus(undefined);
        setError(describe(e));
        setAttempt((n) => n + 1);
      } finally {
        setBusy(false);
      }
    })();
  };
  const submit = (card: { url: string; id: string }, pin: string) =>
    run(t('reading'), t('signing'), (f, confirm) => signWithCardSession(card, pin, f, confirm));
  const submitDevice = (key: DeviceKey) =>
    run(t('preparing'), t('deviceSigning'), (f, confirm) => signWithDeviceKey(key, f, confirm));

  const fileFacts = (f: { name: string; size: number; sha256: string }) => (
    <Facts
      id="sign-document"
      rows={[
        [t('fileName'), f.name],
        [t('fileSize'), sizeText(f.size, locale, t('bytes'))],
        [t('fileHash'), <code class="hash">{groupedHash(f.sha256)}</code>],
      ]}
    />
  );

  if (signed !== undefined)
    return (
      <div id="sign">
        <PageTitle text={t('doneTitle')} />
        <Notice kind="success" id="sign-done">
          <p>{signed.json.mediaType === 'application/pdf' ? t('donePdf') : t('doneP7s')}</p>
          <Facts
            rows={[
              [t('signerName'), signed.json.signer.name],
              [t('provenAt'), formatDateTime(signed.json.provenAt, locale)],
            ]}
          />
        </Notice>
        <Buttons>
          <a class="button" id="sign-download" href={signed.url} download={signed.json.fileName}>
            {t('download', { name: signed.json.fileName })}
          </a>
        </Buttons>
        <p>
          {t('verifyHint')} <a href="/verify">{t('verifyLink')}</a>
        </p>
        <Buttons>
          <Button
            variant="secondary"
            id="sign-another"
            onClick={() => {
              setSigned(undefined);
              setFile(undefined);
            }}
          >
            {t('another')}
          </Button>
        </Buttons>
      </div>
    );

  return (
    <div id="sign">
      <PageTitle text={t('title')} />
      <p>{t('intro')}</p>
      <FilePicker
        id="sign-file"
        label={t('chooseFile')}
        hint={t('chooseHint')}
        button={t('chooseButton')}
        chosen={file?.name ?? t('noFileChosen')}
        disabled={busy || prepared !== undefined}
        onChoose={choose}
      />
      {file === undefined ? null : (
        <section aria-labelledby="what-you-sign">
          <h2 id="what-you-sign">{t('whatYouSign')}</h2>
          {fileFacts(file)}
          <p id="sign-format">{file.pdf ? t('formatPdf') : t('formatP7s', { name: `${file.name}.p7s` })}</p>
        </section>
      )}
      <Alert error={error} />
      {prepared !== undefined ? (
        <section aria-labelledby="signer-shown" id="sign-confirm">
          <h2 id="signer-shown">{t('signerShown')}</h2>
          <p>{t('signerShownHint')}</p>
          <Facts
            id="sign-signer"
            rows={[
              [t('signerName'), prepared.signer.name],
              [t('signerAddress'), prepared.signer.address],
              [t('certificateUntil'), formatDate(prepared.signer.notAfter, locale)],
            ]}
          />
          <Buttons>
            <Button id="sign-confirm-button" busy={busy} onClick={() => answer.current?.(true)}>
              {t('signNow')}
            </Button>
            <Button
              variant="secondary"
              id="sign-cancel"
              disabled={busy}
              onClick={() => answer.current?.(false)}
            >
              {t('cancel')}
            </Button>
          </Buttons>
        </section>
      ) : file === undefined ? null : (
        <>
          {deviceKey === null ? null : (
            <section id="sign-with-device" aria-labelledby="sign-device-heading">
              <h2 id="sign-device-heading">{t('deviceHeading')}</h2>
              <p>{t('deviceHint')}</p>
              <Buttons>
                <Button id="sign-device-button" busy={busy} onClick={() => submitDevice(deviceKey)}>
                  {t('deviceSign')}
                </Button>
              </Buttons>
              <h2>{t('cardHeading')}</h2>
            </section>
          )}
          <CardForm
            kind="sign"
            pinLabel={t('pin')}
            pinHint={t('pinHint')}
            submit={t('next')}
            busy={busy}
            attempt={attempt}
            onSubmit={submit}
            onInvalid={(e) => setError(describe(e))}
          />
        </>
      )}
      <Status message={status} />
    </div>
  );
}
