/**
 * Card commands: the `watashi` side of an NFC reader. Each command drives a card (or smartphone)
 * hosted by the J-LIS simulator through the JPKI AP client of `@watashi/jpki` — SELECT, READ
 * BINARY, VERIFY, COMPUTE DIGITAL SIGNATURE (docs/jpki.md §3) — with the APDUs carried over
 * HTTP by {@link HostedCardTransport}; nothing here imports the simulator.
 *
 * - `watashi card export <card> [--what sign-cert|auth-cert|sign-ca|auth-ca] [--pin P] [--out FILE] [--pem] [--json]`
 * - `watashi card sign <card> --in FILE [--key sign|auth] --pin P [--out FILE] [--detached | --raw] [--json]`
 * - `watashi card pin-status <card> [--json]`
 * - `watashi card change-pin <card> --key sign|auth --pin OLD --new-pin NEW [--json]`
 *
 * A wrong PIN is exit 6 with the tries left; a blocked PIN is exit 6 too. PINs can come from
 * `WATASHI_PIN` instead of the command line (which other users of the machine may see).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  WatashiError,
  digestInfo,
  isWatashiError,
  nameToString,
  parseCertificate,
  prepareCmsSignature,
  toBase64,
  toHex,
  toPem,
} from '@watashi/pki';
import {
  PIN_MAX_TRIES,
  deviceKindOfToken,
  eraByDigit,
  readBasic4,
  type JpkiCardClient,
  type JpkiCertificateKind,
  type PinKind,
} from '@watashi/jpki';
import { withHostedCard } from '../hosted-card.ts';
import { simUrlOf } from '../options.ts';
import { emit, table } from '../output.ts';

/** What the two PINs are called on the card and in the JPKI documents (docs/jpki.md §3.5). */
const PIN_NAME: Readonly<Record<PinKind, string>> = {
  sign: 'signing password (署名用電子証明書パスワード)',
  auth: 'user-authentication PIN (利用者証明用電子証明書暗証番号)',
};

const SEX: Readonly<Record<string, string>> = { '1': 'male', '2': 'female', '3': 'unknown' };

/** The PIN that guards a certificate or key. */
const pinOf = (kind: JpkiCertificateKind): PinKind =>
  kind === 'sign' || kind === 'sign-ca' ? 'sign' : 'auth';

/** Turns the card's PIN answers into messages that say which PIN, which card and what is left. */
function explainCardError(e: unknown, cardId: string, kind: PinKind): unknown {
  if (isWatashiError(e, 'card_pin_incorrect')) {
    const left = e.detail?.['triesLeft'];
    const n = typeof left === 'number' ? left : 0;
    return new WatashiError(
      'card_pin_incorrect',
      `wrong ${PIN_NAME[kind]} for ${cardId}: ${String(n)} ${n === 1 ? 'try' : 'tries'} left ` +
        `(of ${String(PIN_MAX_TRIES[kind])}) before it is blocked`,
      { cause: e, detail: { kind, triesLeft: n } },
    );
  }
  if (isWatashiError(e, 'card_pin_blocked'))
    return new WatashiError(
      'card_pin_blocked',
      `the ${PIN_NAME[kind]} of ${cardId} is blocked after too many wrong tries; it is reset at a ` +
        `municipal office (in the simulator: issue a new card)`,
      { cause: e, detail: { kind, triesLeft: 0 } },
    );
  if (isWatashiError(e, 'card_security_status_not_satisfied'))
    return new WatashiError(
      'card_pin_required',
      `${cardId} releases this only after the ${PIN_NAME[kind]}: give --pin (or WATASHI_PIN)`,
      { cause: e, detail: { kind } },
    );
  if (isWatashiError(e, 'card_file_not_found') && kind === 'sign')
    return new WatashiError(
      'signing_certificate_absent',
      `${cardId} has no signing certificate (none is issued to a holder under 15)`,
      { cause: e },
    );
  if (isWatashiError(e, 'card_not_jpki'))
    return new WatashiError(
      'card_not_jpki',
      `${cardId} answers without a JPKI application (a smartphone that has erased its keys?)`,
      { cause: e },
    );
  return e;
}

/** Runs one step against the card, translating its errors for `kind`'s PIN. */
async function step<T>(cardId: string, kind: PinKind, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw explainCardError(e, cardId, kind);
  }
}

/** Reads the token name (EF 0006) and names the device: card, android or ios. */
async function tokenKind(client: JpkiCardClient, cardId: string): Promise<string> {
  const name = await step(cardId, 'auth', () => client.readTokenInfo());
  return deviceKindOfToken(name) ?? name;
}

/** What `card export` reports about a certificate. */
interface CertificateSummary {
  readonly card: string;
  readonly token: string;
  readonly certificate: JpkiCertificateKind;
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly sha256: string;
  /** Basic 4 information from the signing certificate's subjectAltName (docs/jpki.md §1.4). */
  readonly basic4?: {
    name: string;
    /** `0`/`1` per character of `name`: `1` where a substitute character replaced one outside JIS X 0208. */
    nameSubstitute: string;
    dateOfBirth: string;
    era?: string;
    sex: string;
    address: string;
    addressSubstitute: string;
  };
  readonly file?: string;
  readonly der: string;
}

function summarize(
  card: string,
  token: string,
  kind: JpkiCertificateKind,
  der: Uint8Array,
): Omit<CertificateSummary, 'file'> {
  const cert = parseCertificate(der);
  let basic4: CertificateSummary['basic4'];
  if (kind === 'sign') {
    const b4 = readBasic4(cert);
    const era = b4.dateOfBirth.era === 0 ? undefined : eraByDigit(b4.dateOfBirth.era).name;
    basic4 = {
      name: b4.name,
      nameSubstitute: b4.nameSubstitute,
      dateOfBirth: b4.dateOfBirth.date,
      ...(era === undefined ? {} : { era }),
      sex: SEX[b4.sex] ?? b4.sex,
      address: b4.address,
      addressSubstitute: b4.addressSubstitute,
    };
  }
  return {
    card,
    token,
    certificate: kind,
    subject: nameToString(cert.subject),
    issuer: nameToString(cert.issuer),
    serial: cert.serial.toString(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    sha256: createHash('sha256').update(der).digest('hex'),
    ...(basic4 ? { basic4 } : {}),
    der: toBase64(der),
  };
}

/**
 * Names the characters that are substitutes (docs/jpki.md §1.4: a character outside JIS X 0208
 * is replaced in the certificate and its position flagged `1` in the substitute map).
 */
function substituteNote(map: string): string {
  const at: string[] = [];
  // The map is ASCII `0`/`1`, one per character of the field.
  for (let i = 0; i < map.length; i++) if (map[i] === '1') at.push(String(i + 1));
  return at.length === 0 ? '' : `  (substitute characters at ${at.join(', ')})`;
}

function certificateRows(s: CertificateSummary): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['card', `${s.card} (${s.token})`],
    ['certificate', s.certificate],
    ['subject', s.subject],
    ['issuer', s.issuer],
    ['serial', s.serial],
    ['valid', `${s.notBefore} → ${s.notAfter}`],
    ['sha256', s.sha256],
  ];
  if (s.basic4) {
    const b = s.basic4;
    rows.push(
      ['name', b.name + substituteNote(b.nameSubstitute)],
      ['date of birth', b.era === undefined ? b.dateOfBirth : `${b.dateOfBirth} (${b.era})`],
      ['sex', b.sex],
      ['address', b.address + substituteNote(b.addressSubstitute)],
    );
  }
  if (s.file !== undefined) rows.push(['written to', s.file]);
  return rows;
}

function writeOut(path: string, data: Uint8Array | string): void {
  try {
    writeFileSync(path, data);
  } catch (cause) {
    throw new WatashiError('output_not_writable', `cannot write ${path}`, { cause });
  }
}

function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new WatashiError(missing ? 'input_not_found' : 'input_unreadable', `cannot read ${path}`, {
      cause,
    });
  }
}

const pinOption = (what: string): Option => new Option('--pin <pin>', what).env('WATASHI_PIN');

/** What `card export --what` names (the vocabulary), and the client's certificate kind. */
const EXPORT_WHAT = {
  'sign-cert': 'sign',
  'auth-cert': 'auth',
  'sign-ca': 'sign-ca',
  'auth-ca': 'auth-ca',
} as const satisfies Record<string, JpkiCertificateKind>;

interface ExportOptions {
  what: keyof typeof EXPORT_WHAT;
  pin?: string;
  out?: string;
  pem?: boolean;
  json?: boolean;
}

interface SignOptions {
  in: string;
  key: PinKind;
  pin?: string;
  out?: string;
  raw?: boolean;
  detached?: boolean;
  json?: boolean;
}

/** Registers `card export`, `card sign`, `card pin-status` and `card change-pin` on `program`. */
export function registerCardCommands(program: Command): void {
  const card = program
    .command('card')
    .description(
      'Use a card or smartphone hosted by the J-LIS simulator, over APDUs (like an NFC reader; --sim URL).',
    );

  card
    .command('export')
    .description(
      'Read a certificate from the card. Without --out the certificate is printed as PEM; the signing ' +
        'certificate needs the signing password.',
    )
    .argument('<card>', 'card or smartphone id (c-…)')
    .addOption(
      new Option('--what <what>', 'which certificate').choices(Object.keys(EXPORT_WHAT)).default('auth-cert'),
    )
    .addOption(
      pinOption(
        'signing password for --what sign-cert; user-authentication PIN for a smartphone (env WATASHI_PIN)',
      ),
    )
    .option('--out <file>', 'write the certificate to FILE (DER unless --pem)')
    .option('--pem', 'write PEM instead of DER')
    .option('--json', 'print JSON (with the DER as base64)')
    .action(async (cardId: string, opts: ExportOptions, cmd: Command) => {
      const kind = EXPORT_WHAT[opts.what];
      const pin = opts.pin;
      if (kind === 'sign' && pin === undefined)
        cmd.error(`error: the signing certificate is read only after the ${PIN_NAME.sign}: give --pin`, {
          exitCode: 2,
          code: 'watashi.pinRequired',
        });
      const { token, der } = await withHostedCard(simUrlOf(cmd), cardId, async (client) => {
        const token = await tokenKind(client, cardId);
        // On a card only EF 0001 (signing certificate) is PIN-gated; a smartphone also gates the
        // user-authentication certificate (docs/jpki.md §2.3), so a given PIN is verified.
        if (pin !== undefined) await step(cardId, pinOf(kind), () => client.verifyPin(pinOf(kind), pin));
        const der = await step(cardId, pinOf(kind), () => client.readCertificate(kind));
        return { token, der };
      });
      const summary: CertificateSummary = {
        ...summarize(cardId, token, kind, der),
        ...(opts.out === undefined ? {} : { file: opts.out }),
      };
      const pem = toPem(der, 'CERTIFICATE');
      if (opts.out !== undefined) writeOut(opts.out, opts.pem ? pem : der);
      if (opts.json) emit(true, summary, () => '');
      else if (opts.out !== undefined)
        emit(false, summary, (s: CertificateSummary) => table(certificateRows(s)));
      else process.stdout.write(pem.endsWith('\n') ? pem : `${pem}\n`);
    });

  card
    .command('sign')
    .description(
      'Have the card sign a file: CMS SignedData (RFC 5652, DER; the certificate and its CA included), or a raw RSASSA-PKCS1-v1_5 SHA-256 signature with --raw.',
    )
    .argument('<card>', 'card or smartphone id (c-…)')
    .requiredOption('--in <file>', 'the file to sign')
    .addOption(new Option('--key <kind>', 'which key').choices(['sign', 'auth']).default('sign'))
    .addOption(pinOption('PIN of the key: signing password or user-authentication PIN (env WATASHI_PIN)'))
    .option('--out <file>', 'write the CMS (DER), or the raw signature with --raw, to FILE')
    .option('--raw', 'a raw RSASSA-PKCS1-v1_5 signature (SHA-256) instead of CMS')
    .option('--detached', 'CMS: leave the content out (a .p7s beside the file)')
    .option('--json', 'print JSON')
    .action(async (cardId: string, opts: SignOptions, cmd: Command) => {
      const key = opts.key;
      const pin = opts.pin;
      if (pin === undefined)
        cmd.error(`error: signing needs the ${PIN_NAME[key]}: give --pin`, {
          exitCode: 2,
          code: 'watashi.pinRequired',
        });
      const cms = opts.raw !== true;
      if (opts.detached && !cms)
        cmd.error('error: --detached applies to CMS, not --raw', { exitCode: 2, code: 'watashi.usage' });
      const content = readInput(opts.in);
      const r = await withHostedCard(simUrlOf(cmd), cardId, async (client) => {
        const token = await tokenKind(client, cardId);
        await step(cardId, key, () => client.verifyPin(key, pin));
        const certificate = await step(cardId, key, () => client.readCertificate(key));
        if (cms) {
          const ca = await step(cardId, key, () =>
            client.readCertificate(key === 'sign' ? 'sign-ca' : 'auth-ca'),
          );
          const prepared = await prepareCmsSignature({
            content,
            detached: opts.detached ?? false,
            certificate,
            extraCertificates: [ca],
            signingTime: new Date(),
          });
          // docs/jpki.md §3.3: the card signs the DigestInfo of the signed attributes.
          const signature = await step(cardId, key, () => client.signDigestInfo(key, prepared.digestInfo));
          return { token, certificate, output: prepared.finish(signature) };
        }
        const hash = new Uint8Array(createHash('sha256').update(content).digest());
        const signature = await step(cardId, key, () =>
          client.signDigestInfo(key, digestInfo('SHA-256', hash)),
        );
        return { token, certificate, output: signature };
      });
      if (opts.out !== undefined) writeOut(opts.out, r.output);
      const cert = parseCertificate(r.certificate);
      const result = {
        card: cardId,
        token: r.token,
        key,
        format: cms ? (opts.detached ? 'cms-detached' : 'cms') : 'pkcs1-sha256',
        signer: nameToString(cert.subject),
        serial: cert.serial.toString(),
        contentSha256: toHex(new Uint8Array(createHash('sha256').update(content).digest())),
        ...(cms ? { cms: toBase64(r.output) } : { signature: toBase64(r.output) }),
        certificate: toBase64(r.certificate),
        ...(opts.out === undefined ? {} : { file: opts.out }),
      };
      if (opts.json) emit(true, result, () => '');
      else if (opts.out !== undefined)
        emit(false, result, (d: typeof result) =>
          table([
            ['card', `${d.card} (${d.token})`],
            ['key', d.key],
            ['format', d.format],
            ['signer', `${d.signer} (serial ${d.serial})`],
            ['content sha256', d.contentSha256],
            ['written to', `${opts.out ?? ''} (${r.output.length.toString()} bytes)`],
          ]),
        );
      else
        process.stdout.write(cms ? toPem(r.output, 'CMS').replace(/\n?$/, '\n') : `${toBase64(r.output)}\n`);
    });

  card
    .command('change-pin')
    .description(
      'Change a PIN, as the JPKI client software does: VERIFY the current one (a wrong one uses up a try), then CHANGE REFERENCE DATA. Signing password: 6–16 upper-case letters and digits; user-authentication PIN: 4 digits.',
    )
    .argument('<card>', 'card or smartphone id (c-…)')
    .addOption(new Option('--key <kind>', 'which PIN').choices(['sign', 'auth']).default('auth'))
    .addOption(pinOption('the current PIN (env WATASHI_PIN)'))
    .addOption(new Option('--new-pin <pin>', 'the new PIN (env WATASHI_NEW_PIN)').env('WATASHI_NEW_PIN'))
    .option('--json', 'print JSON')
    .action(
      async (
        cardId: string,
        opts: { key: PinKind; pin?: string; newPin?: string; json?: boolean },
        cmd: Command,
      ) => {
        const { key, pin, newPin } = opts;
        if (pin === undefined || newPin === undefined)
          cmd.error(`error: changing the ${PIN_NAME[key]} needs --pin and --new-pin`, {
            exitCode: 2,
            code: 'watashi.pinRequired',
          });
        const token = await withHostedCard(simUrlOf(cmd), cardId, async (client) => {
          const kind = await tokenKind(client, cardId);
          await step(cardId, key, () => client.changePin(key, pin, newPin));
          return kind;
        });
        const data = { card: cardId, token, changed: key };
        emit(opts.json, data, () =>
          table([
            ['card', `${cardId} (${token})`],
            ['changed', PIN_NAME[key]],
          ]),
        );
      },
    );

  card
    .command('pin-status')
    .description('Show the tries left for each PIN (the query does not use up a try).')
    .argument('<card>', 'card or smartphone id (c-…)')
    .option('--json', 'print JSON')
    .action(async (cardId: string, opts: { json?: boolean }, cmd: Command) => {
      const status = await withHostedCard(simUrlOf(cmd), cardId, async (client) => {
        const token = await tokenKind(client, cardId);
        const auth = await step(cardId, 'auth', () => client.pinStatus('auth'));
        let sign: number | undefined;
        try {
          sign = await client.pinStatus('sign');
        } catch (e) {
          // No EF 001B: a card issued under 15 has no signing key and no signing password.
          if (!isWatashiError(e, 'card_file_not_found')) throw explainCardError(e, cardId, 'sign');
        }
        return { token, sign, auth };
      });
      const view = (kind: PinKind, left: number) => ({
        triesLeft: left,
        maxTries: PIN_MAX_TRIES[kind],
        blocked: left === 0,
      });
      const data = {
        card: cardId,
        token: status.token,
        pins: {
          sign: status.sign === undefined ? null : view('sign', status.sign),
          auth: view('auth', status.auth),
        },
      };
      const line = (kind: PinKind, left: number | undefined): string =>
        left === undefined
          ? 'none (no signing certificate)'
          : left === 0
            ? 'BLOCKED'
            : `${left.toString()} of ${PIN_MAX_TRIES[kind].toString()} tries left`;
      emit(opts.json, data, () =>
        table([
          ['card', `${cardId} (${status.token})`],
          ['signing password', line('sign', status.sign)],
          ['user-authentication PIN', line('auth', status.auth)],
        ]),
      );
    });
}
