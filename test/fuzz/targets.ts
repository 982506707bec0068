/**
 * The fuzz targets (issue 21): every parser that reads bytes from outside — the DER reader,
 * certificates, CRLs in memory and streamed from a file, OCSP requests and responses, CMS
 * SignedData, APDUs, a card's answers, the card's own command handling, basic 4 extraction, and
 * the platform's enrolment completion body and signed document. The property of each is the
 * same (docs/conventions.md §4): any input either parses or throws a `WatashiError` whose code is in the
 * package's union; nothing else escapes (no TypeError, RangeError, stack overflow or hang).
 * Some targets add a differential or round-trip check, which fails with a plain Error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  bytesEqual,
  decodeOidContent,
  DerReader,
  isWatashiError,
  parseCertificate,
  parseOcspRequest,
  parseOcspResponse,
  parseSpki,
  readBigInt,
  readBitString,
  readBoolean,
  readCrl,
  readString,
  readTime,
  readTlv,
  Tag,
  toBase64,
  valueOf,
  verifyCms,
  type CrlIndex,
} from '@watashi/pki';
import { nodeDigest, nodeVerifier, readCrlFile } from '@watashi/pki/node';
import {
  assertJpkiProfile,
  basic4FromStrings,
  classifyJpkiCertificate,
  decodeCommandApdu,
  decodeResponseApdu,
  encodeCommandApdu,
  encodeResponseApdu,
  JPKI_AID,
  JpkiCardClient,
  JpkiEf,
  JpkiTrustStore,
  parseDateOfBirth,
  readBasic4,
  verifyJpkiCertificate,
  VirtualJpkiCard,
} from '@watashi/jpki';
import {
  parseEnrolmentDocument,
  readEnrolmentNonce,
  buildEnrolmentDocument,
} from '../../packages/platform/src/enrolment/document.ts';
import { parseCompleteBody } from '../../packages/platform/src/enrolment/routes.ts';
import { ENROLMENT_CODES, JPKI_CODES, PKI_CODES } from './codes.ts';
import { fuzzInput, mutatedSample } from './mutate.ts';
import type { Samples } from './samples.ts';

/** One parser under fuzz. */
export interface FuzzTarget {
  /** Stable name: regression files are kept under it. */
  readonly name: string;
  /** WatashiError codes the parser may throw. */
  readonly codes: ReadonlySet<string>;
  /** Relative share of the long run's budget (cheap parsers get more). */
  readonly weight: number;
  /** Share of the normal suite's per-target budget (default 1): slow targets run fewer inputs there. */
  readonly quick?: number;
  /** The input generator over the samples. */
  input(s: Samples): fc.Arbitrary<Uint8Array>;
  /** Makes the function that runs one input (returns normally, or throws). */
  prepare(s: Samples): Promise<(input: Uint8Array) => unknown>;
}

const PKI_JPKI = new Set([...PKI_CODES, ...JPKI_CODES]);
const NONE: ReadonlySet<string> = new Set();

/** Runs a follow-up check whose refusal is expected: swallows WatashiErrors of pki/jpki codes only. */
function soft(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isWatashiError(e) || !PKI_JPKI.has(e.code)) throw e;
  }
}

/** Walks every TLV of `buf[start, end)` and decodes each primitive by its tag. */
function walkDer(buf: Uint8Array, start: number, end: number, depth: number): void {
  const r = new DerReader(buf, start, end);
  while (!r.done) {
    const t = r.next();
    if ((t.tag & 0x20) !== 0 && t.tag < 0x100) {
      // The walk is test code: bound its own recursion, the reader has none.
      if (depth < 200) walkDer(buf, t.valueStart, t.end, depth + 1);
      continue;
    }
    switch (t.tag) {
      case Tag.INTEGER:
      case Tag.ENUMERATED:
        readBigInt(buf, t);
        break;
      case Tag.BOOLEAN:
        readBoolean(buf, t);
        break;
      case Tag.BIT_STRING:
        readBitString(buf, t);
        break;
      case Tag.OID:
        decodeOidContent(valueOf(buf, t));
        break;
      case Tag.UTC_TIME:
      case Tag.GENERALIZED_TIME:
        readTime(buf, t);
        break;
      case Tag.UTF8_STRING:
      case Tag.PRINTABLE_STRING:
      case Tag.IA5_STRING:
      case Tag.T61_STRING:
      case Tag.BMP_STRING:
        readString(buf, t);
        break;
      default:
    }
  }
}

/** Everything a CRL index answers, as comparable plain data. */
function crlSummary(c: CrlIndex): string {
  const entries = [...c.entries()].map(
    (e) => `${e.serial}:${e.reason}:${e.revocationDate.getTime()}:${e.invalidityDate?.getTime() ?? ''}`,
  );
  return JSON.stringify({
    version: c.version,
    alg: c.signatureAlgorithm,
    issuer: toBase64(c.issuer),
    thisUpdate: c.thisUpdate.getTime(),
    nextUpdate: c.nextUpdate?.getTime(),
    crlNumber: c.crlNumber?.toString(),
    aki: c.authorityKeyId && toBase64(c.authorityKeyId),
    signature: toBase64(c.signature),
    size: c.size,
    entries,
  });
}

/** Length-prefixed records (2 octets, big-endian): how a sequence of APDUs is one byte string. */
export function records(list: ReadonlyArray<Uint8Array>): Uint8Array {
  const out: number[] = [];
  for (const r of list) out.push(r.length >> 8, r.length & 0xff, ...r);
  return Uint8Array.from(out);
}

function* splitRecords(b: Uint8Array): Generator<Uint8Array> {
  let p = 0;
  while (p + 2 <= b.length) {
    const n = (b[p]! << 8) | b[p + 1]!;
    yield b.subarray(p + 2, Math.min(b.length, p + 2 + n));
    p += 2 + n;
  }
}

const apdu = (cla: number, ins: number, p1: number, p2: number, data: number[] | Uint8Array, ne?: number) =>
  encodeCommandApdu({ cla, ins, p1, p2, data: Uint8Array.from(data), ...(ne === undefined ? {} : { ne }) });

/** Command APDUs a JPKI client sends (docs/jpki.md §3), plus near misses. */
const commandArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constant(apdu(0, 0xa4, 4, 0x0c, JPKI_AID)),
  fc
    .constantFrom(
      JpkiEf.SIGN_CERT,
      JpkiEf.SIGN_CA_CERT,
      JpkiEf.AUTH_CERT,
      JpkiEf.AUTH_CA_CERT,
      JpkiEf.SIGN_PIN,
      JpkiEf.AUTH_PIN,
      JpkiEf.SIGN_KEY,
      JpkiEf.AUTH_KEY,
      JpkiEf.TOKEN_INFO,
      0x3f00,
      0xffff,
    )
    .map((fid) => apdu(0, 0xa4, 2, 0x0c, [fid >> 8, fid & 0xff])),
  fc
    .record({ off: fc.integer({ min: 0, max: 0x7fff }), ne: fc.integer({ min: 1, max: 256 }) })
    .map(({ off, ne }) => apdu(0, 0xb0, off >> 8, off & 0xff, [], ne)),
  fc
    .constantFrom('1234', '4321', 'WATASHI1', '', 'ABCDEFGHIJKLMNOP', '12')
    .map((pin) => apdu(0, 0x20, 0, 0x80, new TextEncoder().encode(pin))),
  fc.uint8Array({ minLength: 1, maxLength: 255 }).map((d) => apdu(0x80, 0x2a, 0, 0x80, d, 256)),
  fc
    .constantFrom('1234', 'WATASHI2', '1')
    .map((pin) => apdu(0, 0x24, 1, 0x80, new TextEncoder().encode(pin))),
  fc.uint8Array({ maxLength: 12 }),
);

/** A card's answer: data (a certificate head, text, anything) and a status word JPKI uses or not. */
const responseArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    data: fc.oneof(
      fc.constant(new Uint8Array(0)),
      fc.constant(Uint8Array.of(0x30, 0x82, 0x00, 0x10)),
      fc.constant(Uint8Array.of(0x30, 0x82, 0xff, 0xff)),
      fc.constant(new TextEncoder().encode('JPKIAPICCTOKEN2 ')),
      fc.uint8Array({ maxLength: 300 }),
    ),
    sw: fc.oneof(
      fc.constantFrom(0x9000, 0x6a82, 0x6982, 0x63c2, 0x63c0, 0x6983, 0x6984, 0x6700, 0x6d00, 0x6b00, 0x6282),
      fc.integer({ min: 0, max: 0xffff }),
    ),
  })
  .map(({ data, sw }) => encodeResponseApdu(data, sw));

const base64Arb = (s: Samples): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constantFrom(...s.cms.map(toBase64), toBase64(s.jpkiSigning)),
    fc.stringMatching(/^[A-Za-z0-9+/_-]{1,12}={0,2}$/),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('A', 'AB=', 'A===', 'AAAAA', '=', '', 'AA==', 'AAA=', ' ', 'A'.repeat(65_537)),
  );

/** Every fuzz target. */
export const TARGETS: ReadonlyArray<FuzzTarget> = [
  {
    name: 'der-reader',
    codes: new Set([
      'der_malformed',
      'der_unexpected_tag',
      'der_too_large',
      'oid_malformed',
      'time_malformed',
    ]),
    weight: 3,
    input: (s) => fuzzInput([...s.certificates, ...s.crls, ...s.ocspResponses, ...s.cms]),
    prepare: () =>
      Promise.resolve((b) => {
        const top = readTlv(b, 0, b.length);
        walkDer(b, top.start, b.length, 0);
      }),
  },
  {
    name: 'certificate',
    codes: PKI_JPKI,
    weight: 3,
    input: (s) => fuzzInput(s.certificates),
    prepare: () =>
      Promise.resolve((b) => {
        const cert = parseCertificate(b);
        // What callers do next with a parsed certificate: its key, and the JPKI profile checks.
        soft(() => parseSpki(cert.spki));
        soft(() => classifyJpkiCertificate(cert));
        soft(() => assertJpkiProfile(cert, 'sign'));
        soft(() => assertJpkiProfile(cert, 'auth'));
      }),
  },
  {
    // The certificate steps enrolment and card login share, against the real J-LIS roots: any
    // input ends in a pki/jpki code, for either kind (trust/verify-certificate.ts).
    name: 'jpki-certificate',
    codes: PKI_JPKI,
    weight: 2,
    input: (s) => fuzzInput(s.certificates),
    prepare: async () => {
      const trust = await JpkiTrustStore.production();
      const verifier = nodeVerifier();
      const at = new Date('2026-06-01T00:00:00Z');
      return async (b) => {
        try {
          await verifyJpkiCertificate({ certificate: b, kind: 'sign', trust, at, verifier });
        } catch (e) {
          if (!isWatashiError(e) || !PKI_JPKI.has(e.code)) throw e;
        }
        await verifyJpkiCertificate({ certificate: b, kind: 'auth', trust, at, verifier });
      };
    },
  },
  {
    name: 'basic4',
    codes: PKI_JPKI,
    weight: 2,
    input: (s) => mutatedSample([s.jpkiSigning]),
    prepare: () => Promise.resolve((b) => readBasic4(parseCertificate(b))),
  },
  {
    name: 'basic4-strings',
    codes: new Set(['basic4_malformed']),
    weight: 1,
    input: () => {
      const field = fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        fc.stringMatching(/^[0-5][0-9]{8}$/),
        fc.stringMatching(/^[01]{0,12}$/),
        fc.constantFrom('1', '2', '3', '319800217', '黒桐\u3000幹也', '00000', '\u0000', '𠮷'),
      );
      return fc
        .record({
          name: field,
          dateOfBirth: field,
          sex: field,
          address: field,
          nameSubstitute: field,
          addressSubstitute: field,
        })
        .map((r) => new TextEncoder().encode(JSON.stringify(r)));
    },
    prepare: () =>
      Promise.resolve((b) => {
        const f = JSON.parse(new TextDecoder().decode(b)) as Parameters<typeof basic4FromStrings>[0];
        soft(() => parseDateOfBirth(f.dateOfBirth));
        basic4FromStrings(f);
      }),
  },
  {
    name: 'crl',
    codes: PKI_CODES,
    weight: 3,
    input: (s) => fuzzInput(s.crls),
    prepare: () =>
      Promise.resolve((b) => {
        const c = readCrl(b);
        crlSummary(c);
        c.lookup(0x0705d990n);
        c.lookup(Uint8Array.of(0x80));
      }),
  },
  {
    // The streaming reader must answer exactly what the in-memory reader answers.
    name: 'crl-file',
    codes: PKI_CODES,
    weight: 0.3,
    quick: 0.15,
    input: (s) => fuzzInput([s.bigCrl, ...s.crls]),
    prepare: () => {
      const dir = mkdtempSync(join(tmpdir(), 'watashi-fuzz-crl-'));
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'in.crl');
      return Promise.resolve(async (b: Uint8Array) => {
        writeFileSync(file, b);
        let mem: string | Error;
        try {
          mem = crlSummary(readCrl(b));
        } catch (e) {
          mem = e as Error;
        }
        let streamed: string | Error;
        try {
          streamed = crlSummary(await readCrlFile(file, { chunkSize: 64 * 1024 }));
        } catch (e) {
          streamed = e as Error;
        }
        if (typeof mem === 'string' && typeof streamed === 'string') {
          if (mem !== streamed) throw new Error('differential: readCrlFile and readCrl read different CRLs');
          return;
        }
        if (typeof mem === 'string' || typeof streamed === 'string')
          throw new Error(
            `differential: ${typeof mem === 'string' ? 'readCrl accepts' : 'readCrl rejects'} but ` +
              `${typeof streamed === 'string' ? 'readCrlFile accepts' : 'readCrlFile rejects'}`,
          );
        // Both refused: each must have refused properly.
        if (mem.name !== 'WatashiError') throw mem;
        throw streamed;
      });
    },
  },
  {
    name: 'ocsp-request',
    codes: PKI_CODES,
    weight: 3,
    input: (s) => fuzzInput(s.ocspRequests),
    prepare: () => Promise.resolve((b) => parseOcspRequest(b)),
  },
  {
    name: 'ocsp-response',
    codes: PKI_CODES,
    weight: 3,
    input: (s) => fuzzInput(s.ocspResponses),
    prepare: () => Promise.resolve((b) => parseOcspResponse(b)),
  },
  {
    name: 'cms',
    codes: PKI_CODES,
    weight: 2,
    input: (s) => fuzzInput(s.cms),
    prepare: (s) => {
      const verifier = nodeVerifier();
      return Promise.resolve((b) =>
        verifyCms({ der: b, content: s.cmsContent, verifier, digest: nodeDigest }),
      );
    },
  },
  {
    // decode(encode) is the identity on whatever decodes (ISO 7816-4 §5.1 short APDUs).
    name: 'apdu',
    codes: JPKI_CODES,
    weight: 2,
    input: () =>
      fc.oneof(fc.uint8Array({ maxLength: 300 }), mutatedSample([apdu(0, 0xa4, 4, 0x0c, JPKI_AID, 256)])),
    prepare: () =>
      Promise.resolve((b) => {
        const cmd = decodeCommandApdu(b);
        if (cmd !== undefined && !bytesEqual(encodeCommandApdu(cmd), b))
          throw new Error('round trip: the command APDU re-encodes differently');
        const r = decodeResponseApdu(b);
        if (!bytesEqual(encodeResponseApdu(r.data, r.sw), b))
          throw new Error('round trip: the response APDU re-encodes differently');
      }),
  },
  {
    // The virtual card answers every command with a status word; it never throws.
    name: 'virtual-card',
    codes: NONE,
    weight: 1,
    input: () =>
      fc.oneof(
        fc.array(commandArb, { minLength: 1, maxLength: 12 }).map(records),
        fc.array(commandArb, { minLength: 1, maxLength: 12 }).chain((l) => mutatedSample([records(l)])),
      ),
    prepare: (s) =>
      Promise.resolve(async (b: Uint8Array) => {
        const card = new VirtualJpkiCard({
          kind: 'card',
          signCertificate: s.jpkiSigning,
          signCaCertificate: s.ca.der,
          authCertificate: s.certificates[2]!,
          authCaCertificate: s.ca.der,
          signKey: s.cardKeys.sign,
          authKey: s.cardKeys.auth,
          signPin: 'WATASHI1',
          authPin: '1234',
        });
        for (const cmd of splitRecords(b)) {
          const r = await card.transmit(cmd);
          if (!(r instanceof Uint8Array) || r.length < 2) throw new Error('the card gave no status word');
        }
      }),
  },
  {
    // Whatever a card (or a man in the middle of NFC) answers, the client fails with a card_* code.
    name: 'card-responses',
    codes: PKI_JPKI,
    weight: 1,
    input: () =>
      fc.oneof(
        fc.array(responseArb, { maxLength: 24 }).map(records),
        fc.array(responseArb, { maxLength: 24 }).chain((l) => mutatedSample([records(l)])),
      ),
    prepare: () =>
      Promise.resolve(async (b: Uint8Array) => {
        const queue = [...splitRecords(b)];
        let served = 0;
        const client = new JpkiCardClient({
          transmit: () => {
            // A card that stops answering: the transport fails, as a dropped NFC field does.
            const r = queue[served++ % Math.max(1, queue.length)];
            if (r === undefined || served > 4096) return Promise.reject(new Error('no answer'));
            return Promise.resolve(r);
          },
        });
        const ops: Array<() => Promise<unknown>> = [
          () => client.selectJpkiAp(),
          () => client.readTokenInfo(),
          () => client.readCertificate('sign'),
          () => client.readCertificate('auth-ca'),
          () => client.pinStatus('auth'),
          () => client.verifyPin('sign', 'WATASHI1'),
          () => client.signDigestInfo('auth', Uint8Array.of(1, 2, 3)),
        ];
        for (const op of ops) {
          try {
            await op();
          } catch (e) {
            if ((e as { name?: string }).name !== 'WatashiError') throw e;
            if (!PKI_JPKI.has((e as { code: string }).code)) throw e;
          }
        }
      }),
  },
  {
    // POST /api/enrolments/:id/complete, after Fastify's JSON parse: a 400 with a stable code, never a 500.
    name: 'enrolment-complete-body',
    codes: ENROLMENT_CODES,
    weight: 1,
    input: (s) =>
      fc
        .oneof(
          {
            weight: 4,
            arbitrary: fc.record(
              {
                cms: base64Arb(s),
                signature: base64Arb(s),
                certificate: base64Arb(s),
                consentCms: base64Arb(s),
                extra: fc.jsonValue(),
              },
              { requiredKeys: [] },
            ),
          },
          { weight: 1, arbitrary: fc.jsonValue() },
        )
        .map((v) => new TextEncoder().encode(JSON.stringify(v) ?? 'null')),
    prepare: () =>
      Promise.resolve((b) => {
        let body: unknown;
        try {
          body = JSON.parse(new TextDecoder().decode(b));
        } catch {
          return; // not JSON: Fastify answers 400 before the route runs
        }
        parseCompleteBody(body);
      }),
  },
  {
    // The signed document's nonce (step 7): the fast reader and the full parser agree on every input.
    name: 'enrolment-document',
    codes: ENROLMENT_CODES,
    weight: 1,
    input: () => {
      const doc = buildEnrolmentDocument({
        purpose: 'reproofing',
        operator: { id: 'watashi', url: 'https://id.example' },
        accountId: 'acct_1',
        nonce: new Uint8Array(32).fill(9),
        issuedAt: new Date('2026-12-01T00:00:00Z'),
        expiresAt: new Date('2026-12-01T00:10:00Z'),
      }).bytes;
      return fc.oneof(
        { weight: 3, arbitrary: mutatedSample([doc]) },
        {
          weight: 1,
          arbitrary: fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v) ?? '')),
        },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
      );
    },
    prepare: () =>
      Promise.resolve((b) => {
        let fast: Uint8Array | Error;
        let full: Uint8Array | Error;
        try {
          fast = readEnrolmentNonce(b);
        } catch (e) {
          fast = e as Error;
        }
        try {
          full = parseEnrolmentDocument(b).nonce;
        } catch (e) {
          full = e as Error;
        }
        if (fast instanceof Error && full instanceof Error) {
          // Both refused: each must have refused properly.
          if (full.name !== 'WatashiError') throw full;
          throw fast;
        }
        if (fast instanceof Error || full instanceof Error)
          throw new Error(
            `differential: readEnrolmentNonce ${fast instanceof Error ? 'rejects' : 'accepts'}, ` +
              `parseEnrolmentDocument ${full instanceof Error ? 'rejects' : 'accepts'}`,
          );
        if (!bytesEqual(fast, full)) throw new Error('differential: the two readers give different nonces');
      }),
  },
];
