/**
 * PAdES baseline signatures (ETSI EN 319 142-1) on PDFs, each step an incremental update:
 *
 * - **B-B**: a signature field and widget on the first page, a signature dictionary with
 *   /SubFilter /ETSI.CAdES.detached, /ByteRange over the whole file but /Contents, /M, and the
 *   CMS of {@link signDetached} without signingTime (§5.3).
 * - **B-T**: the CMS carries a signature-time-stamp (§5.4, as in CAdES).
 * - **B-LT**: a Document Security Store (/DSS in the catalog, §5.4.2 and ISO 32000-2 §12.8.4.3)
 *   with the certificates and OCSP responses / CRLs of the signer's chain.
 * - **B-LTA**: a document time-stamp (/Type /DocTimeStamp, /SubFilter /ETSI.RFC3161) over the file
 *   including the DSS (§5.5).
 *
 * Each update appends; nothing before it changes, so earlier signatures stay valid (sign twice,
 * both verify).
 */
import {
  bytesEqual,
  concat,
  OID,
  verifyTimeStampToken,
  webCryptoVerifier,
  nameToString,
  type Certificate,
  type RevocationChecker,
  type SignatureVerifier,
} from '@watashi/pki';
import {
  addSignatureTimeStamp,
  chainOf,
  embeddedCertificates,
  signDetached,
  signerCertificateOf,
  tokenCertificates,
  tokensOf,
  type BaselineLevel,
} from '../cades.ts';
import { splitSignedData } from '../cms-structure.ts';
import { signatureError } from '../errors.ts';
import type { EvidenceSource } from '../evidence.ts';
import type { DocumentSigner } from '../signer.ts';
import type { TimeStamper } from '../timestamp.ts';
import { validateCades, type TimeStampReport, type ValidationReport } from '../validate.ts';
import { fromLatin1, PdfFile, toLatin1, type NewObject } from './document.ts';
import { parsePdfDate, parseValue, pdf, pdfDate, stringOf, type PdfValue } from './objects.ts';

/** Bytes reserved for /Contents (hex doubles it). A B-T CMS with an RSA chain is ~6 KB. */
const DEFAULT_RESERVE = 24 * 1024;
/** ByteRange numbers are written into a fixed-width placeholder so the offsets do not move. */
const BR_WIDTH = 10;

const sha256 = async (b: Uint8Array): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(b)));

/** Options of {@link signPdf}. */
export interface SignPdfOptions {
  readonly pdf: Uint8Array;
  readonly signer: DocumentSigner;
  /** The time written into /M (the signer's claim; the time-stamp proves it). */
  readonly now: Date;
  /** The level to reach (default B-B). */
  readonly level?: BaselineLevel;
  readonly timeStamper?: TimeStamper;
  readonly evidence?: EvidenceSource;
  /** /Reason, ASCII. */
  readonly reason?: string;
  /** Bytes reserved for the CMS (default 24 KiB). */
  readonly reserve?: number;
}

interface Field {
  readonly updates: NewObject[];
  readonly fieldNum: number;
}

/** Adds a signature field (widget on page 1, AcroForm /SigFlags 3) whose /V is object `sigNum`. */
function addField(f: PdfFile, sigNum: number, fieldNum: number): Field {
  const updates: NewObject[] = [];
  const catalog = f.object(f.rootNum);
  if (catalog.t !== 'dict')
    throw signatureError('signature_malformed', 'malformed PDF: the catalog is not a dictionary');
  // The first page (ISO 32000-1 §7.7.3): down /Kids[0] until a /Page.
  let pageRef = catalog.v.get('Pages');
  for (let i = 0; i < 32 && pageRef?.t === 'ref'; i++) {
    const node = f.object(pageRef.n);
    if (node.t !== 'dict') break;
    const type = node.v.get('Type');
    if (type?.t === 'name' && type.v === 'Page') break;
    const kids = f.resolve(node.v.get('Kids'));
    pageRef = kids?.t === 'arr' ? kids.v[0] : undefined;
  }
  if (pageRef?.t !== 'ref') throw signatureError('signature_malformed', 'malformed PDF: no page');
  const page = f.object(pageRef.n);
  if (page.t !== 'dict')
    throw signatureError('signature_malformed', 'malformed PDF: the page is not a dictionary');

  // Existing fields name the new one: Signature1, Signature2, …
  const catalogOut = new Map(catalog.v);
  const formValue = catalog.v.get('AcroForm');
  const form = f.resolve(formValue);
  const formDict = new Map(form?.t === 'dict' ? form.v : []);
  const fieldsValue = formDict.get('Fields');
  const fields = f.resolve(fieldsValue);
  const fieldList = fields?.t === 'arr' ? [...fields.v] : [];
  fieldList.push(pdf.ref(fieldNum));
  if (fieldsValue?.t === 'ref') updates.push({ num: fieldsValue.n, value: pdf.arr(fieldList) });
  else formDict.set('Fields', pdf.arr(fieldList));
  formDict.set('SigFlags', pdf.num(3)); // §12.7.2: SignaturesExist | AppendOnly
  if (formValue?.t === 'ref') updates.push({ num: formValue.n, value: { t: 'dict', v: formDict } });
  else {
    catalogOut.set('AcroForm', { t: 'dict', v: formDict });
  }

  const annotsValue = page.v.get('Annots');
  const annots = f.resolve(annotsValue);
  const annotList = annots?.t === 'arr' ? [...annots.v] : [];
  annotList.push(pdf.ref(fieldNum));
  const pageOut = new Map(page.v);
  if (annotsValue?.t === 'ref') updates.push({ num: annotsValue.n, value: pdf.arr(annotList) });
  else {
    pageOut.set('Annots', pdf.arr(annotList));
    updates.push({ num: pageRef.n, value: { t: 'dict', v: pageOut } });
  }
  if (formValue?.t !== 'ref') updates.push({ num: f.rootNum, value: { t: 'dict', v: catalogOut } });

  // The field and its widget in one dictionary (§12.5.6.19, §12.7.4.5), invisible (Rect 0 0 0 0,
  // flags Print | Locked).
  updates.push({
    num: fieldNum,
    value: pdf.dict([
      ['Type', pdf.name('Annot')],
      ['Subtype', pdf.name('Widget')],
      ['FT', pdf.name('Sig')],
      ['T', pdf.text(`Signature${fieldList.length}`)],
      ['V', pdf.ref(sigNum)],
      ['F', pdf.num(132)],
      ['Rect', pdf.arr([pdf.num(0), pdf.num(0), pdf.num(0), pdf.num(0)])],
      ['P', pageRef],
    ]),
  });
  return { updates, fieldNum };
}

/**
 * Appends a signature (or document time-stamp) dictionary with placeholders, then fills
 * /ByteRange and /Contents with what `contents` makes of the covered bytes.
 */
async function appendSignature(
  input: Uint8Array,
  entries: Array<[string, PdfValue]>,
  reserve: number,
  contents: (covered: Uint8Array) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const f = PdfFile.open(input);
  const sigNum = f.size;
  const field = addField(f, sigNum, sigNum + 1);
  const placeholder = ' '.repeat(BR_WIDTH);
  const sig = pdf.dict([
    ...entries,
    ['ByteRange', { t: 'kw', v: `[0 ${placeholder} ${placeholder} ${placeholder}]` }],
    ['Contents', { t: 'hex', raw: `<${'0'.repeat(reserve * 2)}>` }],
  ]);
  const { bytes, offsets } = f.append([{ num: sigNum, value: sig }, ...field.updates]);
  const text = toLatin1(bytes);
  const at = offsets.get(sigNum)!;
  const brAt = text.indexOf('/ByteRange [0 ', at) + '/ByteRange [0 '.length;
  const cAt = text.indexOf('/Contents <', at) + '/Contents '.length;
  const cEnd = cAt + reserve * 2 + 2;
  const range = [cAt, cEnd, bytes.length - cEnd];
  const br = range.map((n) => String(n).padEnd(BR_WIDTH, ' ')).join(' ');
  bytes.set(fromLatin1(br), brAt);
  const covered = concat(bytes.subarray(0, cAt), bytes.subarray(cEnd));
  const der = await contents(covered);
  if (der.length > reserve)
    throw new RangeError(`the signature needs ${der.length} bytes, more than the ${reserve} reserved`);
  bytes.set(fromLatin1(Buffer.from(der).toString('hex').toUpperCase()), cAt + 1);
  return bytes;
}

/** Signs a PDF (PAdES B-B or B-T) and upgrades it to `level`. */
export async function signPdf(o: SignPdfOptions): Promise<Uint8Array> {
  const level = o.level ?? 'B-B';
  const rank = ['B-B', 'B-T', 'B-LT', 'B-LTA'].indexOf(level);
  if (rank >= 1 && !o.timeStamper) throw new TypeError(`${level} needs a time-stamper`);
  if (rank >= 2 && !o.evidence) throw new TypeError(`${level} needs an evidence source`);
  let cms: Uint8Array | undefined;
  let out = await appendSignature(
    o.pdf,
    [
      ['Type', pdf.name('Sig')],
      ['Filter', pdf.name('Adobe.PPKLite')],
      ['SubFilter', pdf.name('ETSI.CAdES.detached')],
      ['M', pdf.text(pdfDate(o.now))],
      ...(o.reason ? ([['Reason', pdf.text(o.reason)]] as Array<[string, PdfValue]>) : []),
    ],
    o.reserve ?? DEFAULT_RESERVE,
    async (covered) => {
      // EN 319 142-1 §5.3: no signingTime attribute in PAdES; the time is /M.
      let c = await signDetached({ content: covered, signer: o.signer });
      if (rank >= 1) c = await addSignatureTimeStamp(c, o.timeStamper!);
      cms = c;
      return c;
    },
  );
  if (rank >= 2) out = await addDss(out, [cms!], o.evidence!);
  if (rank >= 3) out = await addDocumentTimeStamp(out, o.timeStamper!);
  return out;
}

/**
 * B-LT: appends a DSS with the certificates of each CMS's signer chain and TSAs, and an OCSP
 * response or CRL for each chain certificate but the root. A DSS already present is merged.
 */
export async function addDss(
  input: Uint8Array,
  cmsList: ReadonlyArray<Uint8Array>,
  evidence: EvidenceSource,
): Promise<Uint8Array> {
  const f = PdfFile.open(input);
  const certs: Uint8Array[] = [];
  const ocsps: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const addCert = (c: Certificate) => {
    if (!certs.some((d) => bytesEqual(d, c.der))) certs.push(c.der);
  };
  for (const cms of cmsList) {
    const p = splitSignedData(cms);
    const embedded = embeddedCertificates(p);
    const chain = chainOf(signerCertificateOf(p, embedded), embedded);
    chain.forEach(addCert);
    tokensOf(p, OID.aaSignatureTimeStampToken).flatMap(tokenCertificates).forEach(addCert);
    for (let i = 0; i + 1 < chain.length; i++) {
      let ev;
      try {
        ev = await evidence(chain[i]!, chain[i + 1]!);
      } catch (cause) {
        throw signatureError('signature_evidence_unavailable', 'no revocation evidence could be obtained', {
          cause,
        });
      }
      if (ev.ocsp) ocsps.push(ev.ocsp);
      if (ev.crl) crls.push(ev.crl);
    }
  }
  const catalog = f.object(f.rootNum);
  if (catalog.t !== 'dict')
    throw signatureError('signature_malformed', 'malformed PDF: the catalog is not a dictionary');
  const old = readDss(f);
  let next = f.size;
  const objects: NewObject[] = [];
  const refs = (list: Uint8Array[], existing: PdfValue[]) =>
    existing.concat(
      list.map((b) => {
        const n = next++;
        objects.push({ num: n, stream: b });
        return pdf.ref(n);
      }),
    );
  const dss = pdf.dict([
    ['Type', pdf.name('DSS')],
    [
      'Certs',
      pdf.arr(
        refs(
          certs.filter((c) => !old.certificates.some((d) => bytesEqual(c, d))),
          old.refs.Certs,
        ),
      ),
    ],
    ['OCSPs', pdf.arr(refs(ocsps, old.refs.OCSPs))],
    ['CRLs', pdf.arr(refs(crls, old.refs.CRLs))],
  ]);
  const dssNum = next++;
  objects.push({ num: dssNum, value: dss });
  const catalogOut = new Map(catalog.v);
  catalogOut.set('DSS', pdf.ref(dssNum));
  objects.push({ num: f.rootNum, value: { t: 'dict', v: catalogOut } });
  return f.append(objects).bytes;
}

/** B-LTA: appends a document time-stamp over the whole file (EN 319 142-1 §5.5). */
export async function addDocumentTimeStamp(input: Uint8Array, timeStamper: TimeStamper): Promise<Uint8Array> {
  return appendSignature(
    input,
    [
      ['Type', pdf.name('DocTimeStamp')],
      ['Filter', pdf.name('Adobe.PPKLite')],
      ['SubFilter', pdf.name('ETSI.RFC3161')],
    ],
    8 * 1024,
    async (covered) => timeStamper(await sha256(covered)),
  );
}

/** The DSS of the newest catalog: its streams and the references to keep. */
function readDss(f: PdfFile): {
  certificates: Uint8Array[];
  ocsps: Uint8Array[];
  crls: Uint8Array[];
  refs: { Certs: PdfValue[]; OCSPs: PdfValue[]; CRLs: PdfValue[] };
} {
  const out = {
    certificates: [] as Uint8Array[],
    ocsps: [] as Uint8Array[],
    crls: [] as Uint8Array[],
    refs: { Certs: [] as PdfValue[], OCSPs: [] as PdfValue[], CRLs: [] as PdfValue[] },
  };
  const catalog = f.object(f.rootNum);
  const dss = catalog.t === 'dict' ? f.resolve(catalog.v.get('DSS')) : undefined;
  if (dss?.t !== 'dict') return out;
  for (const [key, list] of [
    ['Certs', out.certificates],
    ['OCSPs', out.ocsps],
    ['CRLs', out.crls],
  ] as const) {
    const arr = f.resolve(dss.v.get(key));
    if (arr?.t !== 'arr') continue;
    for (const r of arr.v) {
      if (r.t !== 'ref') continue;
      out.refs[key].push(r);
      const data = f.streamData(r.n);
      if (data) list.push(data);
    }
  }
  return out;
}

/** One signature or document time-stamp found in a PDF. */
interface FoundSignature {
  readonly dict: Map<string, PdfValue>;
  readonly byteRange: readonly [number, number, number, number];
  readonly contents: Uint8Array;
  readonly subFilter: string;
}

/** Finds every dictionary with a /ByteRange (signatures and document time-stamps), in file order. */
function findSignatures(text: string): FoundSignature[] {
  const out: FoundSignature[] = [];
  const re = /\/ByteRange\s*\[/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    // The enclosing dictionary starts after the nearest `obj` before the match.
    const objAt = text.lastIndexOf('obj', m.index);
    if (objAt < 0) continue;
    let parsed;
    try {
      parsed = parseValue(text, objAt + 3);
    } catch {
      continue;
    }
    if (parsed.value.t !== 'dict' || parsed.end < m.index) continue;
    const d = parsed.value.v;
    const br = d.get('ByteRange');
    const c = d.get('Contents');
    const sf = d.get('SubFilter');
    if (br?.t !== 'arr' || br.v.length !== 4 || c?.t !== 'hex') continue;
    const nums = br.v.map((x) => (x.t === 'num' ? Number(x.raw) : NaN));
    if (nums.some((n) => !Number.isInteger(n) || n < 0)) continue;
    const hex = c.raw.slice(1, -1);
    out.push({
      dict: d,
      byteRange: nums as unknown as [number, number, number, number],
      contents: trimDer(fromHex(hex)),
      subFilter: sf?.t === 'name' ? sf.v : '',
    });
  }
  return out;
}

function fromHex(h: string): Uint8Array {
  const clean = h.replace(/\s+/g, '');
  // Node decodes hex natively (a /Contents is tens of kilobytes of hex).
  if (typeof Buffer !== 'undefined' && /^[0-9a-fA-F]*$/.test(clean))
    return new Uint8Array(Buffer.from(clean, 'hex'));
  const out = new Uint8Array(Math.floor(clean.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16) || 0;
  return out;
}

/** /Contents is zero-padded after the DER: keep the one TLV. */
function trimDer(b: Uint8Array): Uint8Array {
  if (b.length < 2 || b[0] !== 0x30) return b;
  const l0 = b[1]!;
  if (l0 < 0x80) return b.subarray(0, 2 + l0);
  const n = l0 & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (b[2 + i] ?? 0);
  return b.subarray(0, Math.min(b.length, 2 + n + len));
}

/** The report on a PDF: one entry per signature, document time-stamps, and a code when none. */
export interface PdfValidationReport {
  readonly format: 'PAdES';
  readonly signatures: ReadonlyArray<ValidationReport>;
  readonly documentTimeStamps: ReadonlyArray<TimeStampReport>;
  /** `signature_not_found` for an unsigned PDF, `signature_malformed` for a file that is not one. */
  readonly code?: 'signature_not_found' | 'signature_malformed';
  readonly message?: string;
}

/** Inputs of {@link validatePdf}. */
export interface ValidatePdfOptions {
  readonly pdf: Uint8Array;
  readonly anchors: ReadonlyArray<Certificate>;
  readonly tsaAnchors: ReadonlyArray<Certificate>;
  readonly now: Date;
  readonly verifier?: SignatureVerifier;
  readonly online?: RevocationChecker;
}

/** Validates every signature of a PDF (and its document time-stamps) with the embedded evidence. */
export async function validatePdf(o: ValidatePdfOptions): Promise<PdfValidationReport> {
  const verifier = o.verifier ?? webCryptoVerifier();
  const text = toLatin1(o.pdf);
  if (!text.startsWith('%PDF-'))
    return {
      format: 'PAdES',
      signatures: [],
      documentTimeStamps: [],
      code: 'signature_malformed',
      message: 'the file is not a PDF',
    };
  const found = findSignatures(text);
  if (found.length === 0)
    return {
      format: 'PAdES',
      signatures: [],
      documentTimeStamps: [],
      code: 'signature_not_found',
      message: 'the PDF has no signature',
    };
  let dss = { certificates: [] as Uint8Array[], ocsps: [] as Uint8Array[], crls: [] as Uint8Array[] };
  try {
    dss = readDss(PdfFile.open(o.pdf));
  } catch {
    // No readable classic cross-reference: validate with what the CMS carries.
  }
  const covered = (s: FoundSignature): Uint8Array | undefined => {
    const [a, b, c, d] = s.byteRange;
    // §12.8.1: the range covers the file from 0 to the end of its revision except /Contents.
    if (a !== 0 || b >= c || c + d > o.pdf.length) return undefined;
    if (text[b] !== '<' || text[c - 1] !== '>') return undefined;
    return concat(o.pdf.subarray(0, b), o.pdf.subarray(c, c + d));
  };
  const docStamps: Array<TimeStampReport & { end: number }> = [];
  for (const s of found.filter((x) => x.subFilter === 'ETSI.RFC3161')) {
    const data = covered(s);
    const end = s.byteRange[2] + s.byteRange[3];
    if (!data) {
      docStamps.push({ kind: 'document', status: 'invalid', code: 'signature_timestamp_invalid', end });
      continue;
    }
    try {
      const v = await verifyTimeStampToken({
        token: s.contents,
        imprint: await sha256(data),
        nonce: 'not-checked',
        anchors: o.tsaAnchors,
        verifier,
      });
      docStamps.push({
        kind: 'document',
        genTime: v.genTime.toISOString(),
        tsa: nameToString(v.signerCertificate.subject),
        status: 'valid',
        end,
      });
    } catch (e) {
      const untrusted = (e as { code?: string }).code === 'tsp_untrusted';
      docStamps.push({
        kind: 'document',
        status: untrusted ? 'untrusted' : 'invalid',
        code: untrusted ? 'signature_timestamp_untrusted' : 'signature_timestamp_invalid',
        end,
      });
    }
  }
  const signatures: ValidationReport[] = [];
  for (const s of found.filter((x) => x.subFilter !== 'ETSI.RFC3161')) {
    const data = covered(s);
    const end = s.byteRange[2] + s.byteRange[3];
    const claimed = parsePdfDate(stringOf(s.dict.get('M')));
    if (!data) {
      signatures.push({
        indication: 'TOTAL-FAILED',
        subIndication: 'FORMAT_FAILURE',
        code: 'signature_malformed',
        message: 'the signature’s /ByteRange does not cover the document',
        format: 'PAdES',
        level: 'B-B',
        validationTime: o.now.toISOString(),
        timeStamps: [],
        networkUsed: false,
      });
      continue;
    }
    signatures.push(
      await validateCades({
        cms: s.contents,
        content: data,
        anchors: o.anchors,
        tsaAnchors: o.tsaAnchors,
        now: o.now,
        verifier,
        ...(o.online ? { online: o.online } : {}),
        pades: {
          ...(claimed ? { claimedSigningTime: claimed } : {}),
          documentTimeStamps: docStamps.filter((d) => d.end > end).map(({ end: _e, ...d }) => d),
          dss,
        },
      }),
    );
  }
  return { format: 'PAdES', signatures, documentTimeStamps: docStamps.map(({ end: _e, ...d }) => d) };
}
