/**
 * `watashi sign` and `watashi verify` (issue 20): document signatures that stay verifiable.
 *
 * - `watashi sign <file> (--card <id> --pin P | --key KEY.pem --cert CERT.pem [--chain CA.pem]…)
 *    [--level B-B|B-T|B-LT|B-LTA] [--tsa URL] [--tsa-trust TSA.pem]… [--ocsp URL] [--out FILE] [--json]`
 *   A PDF (by its `%PDF-` header) gets a PAdES signature in an incremental update, any other file
 *   a detached CAdES `.p7s`. `--card` signs with the hosted card's signing key (the simulator at
 *   `--sim`); `--tsa` is Watashi's `POST /tsa` or any RFC 3161 TSA; B-LT evidence comes from
 *   `--ocsp` (default: the simulator's responder when signing with `--card`).
 * - `watashi verify <file> [--content FILE] [--trust CA.pem]… [--tsa-trust TSA.pem]… [--at ISO] [--json]`
 *   The report in the shape of ETSI EN 319 102-1, with no network: only the evidence in the file.
 *   Without `--trust`, the J-LIS signing CA roots of the production trust store are the anchors.
 *   Exit 0 TOTAL-PASSED, 4 INDETERMINATE or TOTAL-FAILED, 3 not a signature, 5 no signature in
 *   the PDF (exit-codes.ts, from the report's code).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { JpkiTrustStore } from '@watashi/jpki';
import { fromPemAll, parseCertificate, WatashiError, type Certificate } from '@watashi/pki';
import { nodePrivateKey, nodeSigner, nodeVerifier } from '@watashi/pki/node';
import {
  cardSigner,
  httpTimeStamper,
  keySigner,
  ocspHttpEvidence,
  signCades,
  signPdf,
  validateCades,
  validatePdf,
  type BaselineLevel,
  type DocumentSigner,
  type PdfValidationReport,
  type ValidationReport,
} from '@watashi/signature';
import { EXIT } from '../exit-codes.ts';
import { withHostedCard } from '../hosted-card.ts';
import { simUrlOf } from '../options.ts';
import { emit, table } from '../output.ts';

const isPdf = (b: Uint8Array): boolean => Buffer.from(b.subarray(0, 5)).toString('latin1') === '%PDF-';

/** Certificates from PEM (one or several) or DER files. */
async function readCertificates(files: ReadonlyArray<string>): Promise<Certificate[]> {
  const out: Certificate[] = [];
  for (const f of files) {
    const raw = new Uint8Array(await readFile(f));
    const text = Buffer.from(raw).toString('latin1');
    const ders = text.includes('-----BEGIN') ? fromPemAll(text, 'CERTIFICATE') : [raw];
    for (const d of ders) out.push(parseCertificate(d));
  }
  return out;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

interface SignOpts {
  card?: string;
  pin?: string;
  key?: string;
  cert?: string;
  chain?: string[];
  level?: BaselineLevel;
  tsa?: string;
  tsaTrust?: string[];
  ocsp?: string;
  out?: string;
  reason?: string;
  json?: boolean;
}

interface VerifyOpts {
  content?: string;
  trust?: string[];
  tsaTrust?: string[];
  at?: string;
  json?: boolean;
}

/** One signature's report as lines for people. */
function human(r: ValidationReport, n?: number): string {
  const rows: Array<[string, string]> = [
    [
      n === undefined ? 'result' : `signature #${n}`,
      `${r.indication}${r.subIndication ? ` / ${r.subIndication}` : ''}${r.code ? ` [${r.code}]` : ''}`,
    ],
    ['format', `${r.format} ${r.level}`],
  ];
  if (r.signer) {
    if (r.signer.name) rows.push(['signer name', r.signer.name]);
    rows.push(
      ['signer', r.signer.subject],
      ['issuer', r.signer.issuer],
      ['certificate', `serial ${r.signer.serial}, valid ${r.signer.notBefore} – ${r.signer.notAfter}`],
    );
  }
  if (r.claimedSigningTime) rows.push(['claimed time', r.claimedSigningTime]);
  rows.push(['proven at', r.provenAt ?? '(no trusted time-stamp)'], ['validated at', r.validationTime]);
  for (const t of r.timeStamps)
    rows.push([
      `${t.kind} time-stamp`,
      `${t.status}${t.genTime ? ` ${t.genTime}` : ''}${t.tsa ? ` by ${t.tsa}` : ''}`,
    ]);
  if (r.revocation)
    rows.push([
      'revocation',
      `${r.revocation.status}${r.revocation.reason ? ` (${r.revocation.reason} ${r.revocation.revokedAt ?? ''})` : ''} from ${r.revocation.embedded ? 'embedded ' : ''}${r.revocation.source}${r.revocation.issuedAt ? ` of ${r.revocation.issuedAt}` : ''}`,
    ]);
  rows.push(['network used', r.networkUsed ? 'yes' : 'no'], ['', r.message]);
  return table(rows);
}

/** Registers `sign` and `verify`. */
export function registerSignatureCommands(program: Command): void {
  program
    .command('sign')
    .description('sign a PDF (PAdES) or any file (detached CAdES .p7s) with a hosted card or a key file')
    .argument('<file>', 'the document')
    .option('--card <id>', 'sign with this hosted card’s signing key (the simulator at --sim)')
    .addOption(new Option('--pin <pin>', 'the signing password (env WATASHI_PIN)').env('WATASHI_PIN'))
    .option('--key <file>', 'sign with this private key (PEM or DER PKCS#8)')
    .option('--cert <file>', 'the certificate of --key')
    .option('--chain <file>', 'a CA certificate to embed (repeatable)', collect)
    .addOption(new Option('--level <level>', 'baseline level').choices(['B-B', 'B-T', 'B-LT', 'B-LTA']))
    .option('--tsa <url>', 'RFC 3161 time-stamp authority (Watashi’s POST /tsa or any other)')
    .option('--tsa-trust <file>', 'check the TSA’s answers against this certificate (repeatable)', collect)
    .option('--ocsp <url>', 'OCSP responder for B-LT evidence (default: the simulator’s, with --card)')
    .option('--reason <text>', 'PDF: /Reason (ASCII)')
    .option('--out <file>', 'output file (default FILE.p7s, or NAME-signed.pdf)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: SignOpts, cmd: Command) => {
      if ((opts.card === undefined) === (opts.key === undefined))
        cmd.error('error: give either --card (with --pin) or --key with --cert', {
          exitCode: EXIT.usage,
          code: 'watashi.signer',
        });
      if (opts.key !== undefined && opts.cert === undefined)
        cmd.error('error: --key needs --cert', { exitCode: EXIT.usage, code: 'watashi.signer' });
      if (opts.card !== undefined && opts.pin === undefined)
        cmd.error('error: --card needs the signing password: give --pin (or WATASHI_PIN)', {
          exitCode: EXIT.usage,
          code: 'watashi.pinRequired',
        });
      const level = opts.level ?? (opts.tsa ? 'B-T' : 'B-B');
      if (level !== 'B-B' && opts.tsa === undefined)
        cmd.error(`error: ${level} needs --tsa`, { exitCode: EXIT.usage, code: 'watashi.tsa' });
      const content = new Uint8Array(await readFile(file));
      const pdfInput = isPdf(content);
      const tsaAnchors = opts.tsaTrust ? await readCertificates(opts.tsaTrust) : undefined;
      const timeStamper = opts.tsa
        ? httpTimeStamper(opts.tsa, tsaAnchors ? { anchors: tsaAnchors, verifier: nodeVerifier() } : {})
        : undefined;
      const ocspUrl = opts.ocsp ?? (opts.card !== undefined ? `${simUrlOf(cmd)}/ocsp` : undefined);
      if ((level === 'B-LT' || level === 'B-LTA') && ocspUrl === undefined)
        cmd.error(`error: ${level} needs --ocsp`, { exitCode: EXIT.usage, code: 'watashi.ocsp' });
      const evidence = ocspUrl ? ocspHttpEvidence({ url: ocspUrl }) : undefined;
      const now = new Date();
      const make = async (signer: DocumentSigner): Promise<Uint8Array> => {
        const up = { level, ...(timeStamper ? { timeStamper } : {}), ...(evidence ? { evidence } : {}) };
        return pdfInput
          ? signPdf({ pdf: content, signer, now, ...(opts.reason ? { reason: opts.reason } : {}), ...up })
          : signCades({ content, signer, signingTime: now, ...up });
      };
      let out: Uint8Array;
      if (opts.card !== undefined) {
        out = await withHostedCard(simUrlOf(cmd), opts.card, async (client) =>
          make(await cardSigner(client, opts.pin!)),
        );
      } else {
        const raw = await readFile(opts.key!);
        let key;
        try {
          key = nodePrivateKey(raw.includes('-----BEGIN') ? raw.toString('latin1') : new Uint8Array(raw));
        } catch (cause) {
          throw new WatashiError(
            'invalid_key_file',
            `${opts.key!} is not a PKCS#8 private key (PEM or DER)`,
            { cause },
          );
        }
        const algorithm = key.asymmetricKeyType === 'ec' ? 'ECDSA-SHA256' : 'RSA-SHA256';
        const [cert] = await readCertificates([opts.cert!]);
        const chain = opts.chain ? (await readCertificates(opts.chain)).map((c) => c.der) : [];
        out = await make(keySigner(nodeSigner(key, algorithm), cert!.der, chain));
      }
      const target = opts.out ?? (pdfInput ? file.replace(/(\.pdf)?$/i, '-signed.pdf') : `${file}.p7s`);
      await writeFile(target, out);
      emit(
        opts.json,
        { file: target, format: pdfInput ? 'PAdES' : 'CAdES', level, bytes: out.length },
        (d: { file: string; format: string; level: string }) =>
          `${d.format} ${d.level} signature written to ${d.file}`,
      );
    });

  program
    .command('verify')
    .description('verify a signed PDF or a .p7s: a report in the shape of ETSI EN 319 102-1, with no network')
    .argument('<file>', 'a signed PDF, or a CAdES signature (.p7s)')
    .option('--content <file>', 'the signed document of a detached .p7s (default: FILE without .p7s)')
    .option('--trust <file>', 'a trusted signing root (repeatable; default: the J-LIS signing CAs)', collect)
    .option('--tsa-trust <file>', 'a trusted TSA certificate or root (repeatable)', collect)
    .option('--at <time>', 'validate as of this ISO time (default now)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: VerifyOpts, cmd: Command) => {
      const now = opts.at ? new Date(opts.at) : new Date();
      if (Number.isNaN(now.getTime()))
        cmd.error('error: --at is not an ISO time', { exitCode: EXIT.usage, code: 'watashi.at' });
      const bytes = new Uint8Array(await readFile(file));
      const anchors = opts.trust
        ? await readCertificates(opts.trust)
        : (await JpkiTrustStore.production()).anchors('sign');
      const tsaAnchors = opts.tsaTrust ? await readCertificates(opts.tsaTrust) : [];
      const verifier = nodeVerifier();
      if (isPdf(bytes)) {
        const r: PdfValidationReport = await validatePdf({ pdf: bytes, anchors, tsaAnchors, now, verifier });
        emit(opts.json, r, (d: PdfValidationReport) =>
          d.code
            ? `${d.message ?? d.code} [${d.code}]`
            : d.signatures.map((s, i) => human(s, i + 1)).join('\n\n'),
        );
        if (r.code) throw new WatashiError(r.code, r.message ?? r.code);
        const failed = r.signatures.find((s) => s.indication !== 'TOTAL-PASSED');
        if (failed) throw new WatashiError(failed.code ?? 'signature_invalid', failed.message);
        return;
      }
      const contentFile =
        opts.content ??
        (file.endsWith('.p7s') && existsSync(file.slice(0, -4)) ? file.slice(0, -4) : undefined);
      const content = contentFile ? new Uint8Array(await readFile(contentFile)) : undefined;
      const r = await validateCades({
        cms: bytes,
        ...(content ? { content } : {}),
        anchors,
        tsaAnchors,
        now,
        verifier,
      });
      emit(opts.json, r, (d: ValidationReport) => human(d));
      // The report is printed; the exit code follows its code (3 malformed, 4 not passed).
      if (r.indication !== 'TOTAL-PASSED') throw new WatashiError(r.code ?? 'signature_invalid', r.message);
    });
}
