/**
 * The basic 4 information (基本4情報: name, date of birth, sex, address) as the JPKI signing
 * certificate carries it: six `otherName` entries in subjectAltName, each value a UTF8String, in the
 * order .1 .4 .3 .5 .2 .6 (docs/jpki.md §1.4).
 */
import { jpkiError } from '../errors.ts';
import { eraOf, isCalendarDate, type DateOfBirth } from './era.ts';
import { prefectureOf } from './prefectures.ts';
import { characterLength, substitute } from './substitute.ts';

/** Sex code (§1.4, [S]): `1` male, `2` female, `3` unknown. */
export type Sex = '1' | '2' | '3';

/** The basic 4 information as carried by the signing certificate (values after substitution). */
export interface Basic4 {
  /** 氏名: surname U+3000 given name, with substitute characters applied. */
  readonly name: string;
  /** 氏名代替文字の使用位置情報: `0`/`1` per character of `name`. */
  readonly nameSubstitute: string;
  /** 生年月日: era digit and Gregorian date. */
  readonly dateOfBirth: DateOfBirth;
  /** 性別. */
  readonly sex: Sex;
  /** 住所: from the prefecture, no postcode, at most 200 characters. */
  readonly address: string;
  /** 住所代替文字の使用位置情報: `0`/`1` per character of `address`. */
  readonly addressSubstitute: string;
}

/** Maximum address length in characters (§1.4). */
export const MAX_ADDRESS_LENGTH = 200;

/** Ideographic space U+3000, the separator between surname and given name (§1.4). */
const NAME_SEPARATOR = '\u3000';

/** Inputs of {@link basic4From}: registry values, before substitution. */
export interface Basic4Input {
  /** Surname U+3000 given name, as registered (may contain characters outside JIS X 0208). */
  readonly name: string;
  /** Address from the prefecture. */
  readonly address: string;
  /** `YYYY-MM-DD` (Gregorian). */
  readonly birthDate: string;
  readonly sex: Sex;
  /** 0-based character positions of `name` that already hold substitute characters. */
  readonly nameSubstitutePositions?: ReadonlyArray<number>;
  /** 0-based character positions of `address` that already hold substitute characters. */
  readonly addressSubstitutePositions?: ReadonlyArray<number>;
}

function bad(field: string, reason: string): never {
  throw jpkiError('basic4_malformed', `malformed basic 4 information: ${field}: ${reason}`, {
    detail: { field, reason },
  });
}

// Control characters (C0, DEL, C1) never belong in these fields.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Builds the {@link Basic4} of a resident: applies the substitute-character table
 * (`substitute.ts`), computes the `0`/`1` maps and the era digit. Stricter than
 * {@link readBasic4} — it checks what the simulator must never emit:
 * - the name has a U+3000 between surname and given name (real names do, §1.4 [S]), not at either end;
 * - the address starts with one of the 47 prefectures and has at most 200 characters;
 * - the birth date is a real date from Meiji on (no era digit exists before 1868-01-25).
 * Throws `basic4_malformed` with `detail.field`.
 */
export function basic4From(input: Basic4Input): Basic4 {
  if (input.name.length === 0 || CONTROL.test(input.name)) bad('name', 'empty or control character');
  const sep = input.name.indexOf(NAME_SEPARATOR);
  if (sep <= 0 || input.name.endsWith(NAME_SEPARATOR))
    bad('name', 'surname and given name must be separated by U+3000');
  if (CONTROL.test(input.address)) bad('address', 'control character');
  if (prefectureOf(input.address) === undefined) bad('address', 'must start with a prefecture');
  if (characterLength(input.address) > MAX_ADDRESS_LENGTH)
    bad('address', `longer than ${String(MAX_ADDRESS_LENGTH)} characters`);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.birthDate);
  if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])))
    bad('dateOfBirth', 'must be a YYYY-MM-DD calendar date');
  const era = eraOf(input.birthDate);
  if (!era) bad('dateOfBirth', 'before the Meiji era');
  if (input.sex !== '1' && input.sex !== '2' && input.sex !== '3') bad('sex', 'must be 1, 2 or 3');
  const name = substitute(input.name, input.nameSubstitutePositions);
  const address = substitute(input.address, input.addressSubstitutePositions);
  return {
    name: name.text,
    nameSubstitute: name.map,
    dateOfBirth: { era: era.digit, date: input.birthDate },
    sex: input.sex,
    address: address.text,
    addressSubstitute: address.map,
  };
}
