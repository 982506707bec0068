/**
 * subjectAltName encoding and decoding of the basic 4 information (docs/jpki.md §1.4):
 * `GeneralName.otherName { type-id, value [0] EXPLICIT UTF8String }` × 6, order .1 .4 .3 .5 .2 .6.
 */
import { firstOutsideRepertoire, MAX_NAME_LENGTH } from './repertoire.ts';
import { OID, readTlv, Tag, utf8, type Certificate, type GeneralName } from '@watashi/pki';
import { jpkiError } from '../errors.ts';
import { matchJpkiCaName } from '../profile/names.ts';
import { MAX_ADDRESS_LENGTH, type Basic4 } from './basic4.ts';
import { formatDateOfBirth, parseDateOfBirth } from './era.ts';
import { characterLength } from './substitute.ts';

/** The six basic-4 fields in certificate order (§1.4: .1, .4, .3, .5, .2, .6). */
export const BASIC4_SAN_ORDER = [
  { field: 'name', oid: OID.jpkiName },
  { field: 'dateOfBirth', oid: OID.jpkiDateOfBirth },
  { field: 'sex', oid: OID.jpkiSex },
  { field: 'address', oid: OID.jpkiAddress },
  { field: 'nameSubstitute', oid: OID.jpkiNameSubstitute },
  { field: 'addressSubstitute', oid: OID.jpkiAddressSubstitute },
] as const satisfies ReadonlyArray<{ field: keyof Basic4; oid: string }>;

/** The SAN GeneralNames of `b4`, in certificate order. */
export function encodeBasic4San(b4: Basic4): GeneralName[] {
  const text = (f: (typeof BASIC4_SAN_ORDER)[number]['field']): string =>
    f === 'dateOfBirth' ? formatDateOfBirth(b4.dateOfBirth) : b4[f];
  return BASIC4_SAN_ORDER.map(({ field, oid }) => ({ type: 'otherName', oid, value: utf8(text(field)) }));
}

function malformed(field: string, reason: string, extra: Record<string, unknown> = {}): never {
  throw jpkiError('basic4_malformed', `malformed basic 4 information: ${field}: ${reason}`, {
    detail: { field, reason, ...extra },
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes an otherName value that must be exactly one UTF8String. */
function utf8Value(field: string, value: Uint8Array): string {
  let tlv;
  try {
    tlv = readTlv(value, 0);
  } catch (cause) {
    throw jpkiError('basic4_malformed', `malformed basic 4 information: ${field}: bad DER`, {
      cause,
      detail: { field, reason: 'bad DER' },
    });
  }
  if (tlv.tag !== Tag.UTF8_STRING) malformed(field, 'value is not a UTF8String', { tag: tlv.tag });
  if (tlv.end !== value.length) malformed(field, 'trailing bytes after the UTF8String');
  try {
    return strictUtf8.decode(value.subarray(tlv.valueStart, tlv.end));
  } catch (cause) {
    throw jpkiError('basic4_malformed', `malformed basic 4 information: ${field}: invalid UTF-8`, {
      cause,
      detail: { field, reason: 'invalid UTF-8' },
    });
  }
}

function checkMap(field: string, map: string, of: string): void {
  if (!/^[01]*$/.test(map)) malformed(field, 'characters other than 0 and 1');
  if (map.length !== characterLength(of))
    malformed(field, 'length differs from its field', { length: map.length, expected: characterLength(of) });
}

/** The six basic-4 values as strings, keyed by field (wire form: DOB is `EYYYYMMDD`). */
export type Basic4Strings = Readonly<Record<(typeof BASIC4_SAN_ORDER)[number]['field'], string>>;

/**
 * Checks the six field strings and returns the {@link Basic4}; the rules shared by reading and
 * building (`basic4_malformed` with `detail.field`).
 */
export function basic4FromStrings(f: Basic4Strings): Basic4 {
  if (f.name.length === 0) malformed('name', 'empty');
  // Only what a J-LIS certificate can contain (basic4/repertoire.ts): no control or bidi
  // characters, no markup, bounded lengths — checked before anything is sealed or released.
  const nameLength = characterLength(f.name);
  if (nameLength > MAX_NAME_LENGTH)
    malformed('name', `longer than ${String(MAX_NAME_LENGTH)} characters`, { length: nameLength });
  for (const [field, text] of [
    ['name', f.name],
    ['address', f.address],
  ] as const) {
    const bad = firstOutsideRepertoire(text);
    if (bad !== undefined)
      malformed(field, `character ${bad.codePoint} outside the J-LIS repertoire`, {
        position: bad.position,
        codePoint: bad.codePoint,
      });
  }
  if (f.sex !== '1' && f.sex !== '2' && f.sex !== '3') malformed('sex', 'must be 1, 2 or 3');
  const addressLength = characterLength(f.address);
  if (addressLength > MAX_ADDRESS_LENGTH)
    malformed('address', `longer than ${String(MAX_ADDRESS_LENGTH)} characters`, { length: addressLength });
  const dateOfBirth = parseDateOfBirth(f.dateOfBirth);
  checkMap('nameSubstitute', f.nameSubstitute, f.name);
  checkMap('addressSubstitute', f.addressSubstitute, f.address);
  return {
    name: f.name,
    nameSubstitute: f.nameSubstitute,
    dateOfBirth,
    sex: f.sex,
    address: f.address,
    addressSubstitute: f.addressSubstitute,
  };
}

/** Checks a {@link Basic4} before it is encoded (the same rules {@link readBasic4} applies). */
export function assertBasic4(b4: Basic4): void {
  let dob: string;
  try {
    dob = formatDateOfBirth(b4.dateOfBirth);
  } catch (cause) {
    throw jpkiError('basic4_malformed', 'malformed basic 4 information: dateOfBirth', {
      cause,
      detail: { field: 'dateOfBirth', reason: 'not YYYY-MM-DD or 8 digits' },
    });
  }
  const back = basic4FromStrings({ ...b4, dateOfBirth: dob });
  if (back.dateOfBirth.era !== b4.dateOfBirth.era || formatDateOfBirth(back.dateOfBirth) !== dob)
    malformed('dateOfBirth', 'does not round-trip');
}

/**
 * Reads the basic 4 information of a JPKI signing certificate. Order-independent (the order is a
 * profile property, checked by `assertJpkiProfile`), but otherwise strict. Errors:
 * - `not_jpki_certificate`: the issuer is not a JPKI signing CA name (any of JPKI, JPKI-SIM, JPKI-TEST);
 * - `basic4_missing`: no subjectAltName;
 * - `basic4_malformed` (`detail.field`, `detail.reason`): not exactly the six entries, a duplicate or
 *   unknown OID, a non-otherName entry, a value that is not a UTF8String, a DOB that is not 9
 *   characters / has an invalid era / is an impossible date, sex not 1|2|3, a substitute map whose
 *   length differs from its field or that holds characters other than 0/1, an address over 200 characters.
 */
export function readBasic4(cert: Certificate): Basic4 {
  const issuer = matchJpkiCaName(cert.issuer);
  if (issuer?.purpose !== 'sign')
    throw jpkiError('not_jpki_certificate', 'not issued by a JPKI signing CA', {
      detail: { check: 'issuer' },
    });
  const san = cert.subjectAltName;
  if (!san) throw jpkiError('basic4_missing', 'the certificate has no subjectAltName');
  const values = new Map<string, string>();
  for (const g of san) {
    if (g.type !== 'otherName') malformed('subjectAltName', `unexpected ${g.type} entry`);
    const spec = BASIC4_SAN_ORDER.find((s) => s.oid === g.oid);
    if (!spec) malformed('subjectAltName', 'unknown otherName OID', { oid: g.oid });
    if (values.has(spec.field)) malformed(spec.field, 'duplicate entry', { oid: g.oid });
    values.set(spec.field, utf8Value(spec.field, g.value));
  }
  const missing = BASIC4_SAN_ORDER.find((s) => !values.has(s.field));
  if (missing) malformed(missing.field, 'missing entry: expected exactly six', { count: san.length });
  const get = (f: keyof Basic4Strings): string => values.get(f) ?? '';
  return basic4FromStrings({
    name: get('name'),
    dateOfBirth: get('dateOfBirth'),
    sex: get('sex'),
    address: get('address'),
    nameSubstitute: get('nameSubstitute'),
    addressSubstitute: get('addressSubstitute'),
  });
}
