/**
 * Generates synthetic residents (name, reading, address, date of birth, sex) from the seeded PRNG,
 * so that `--seed` reproduces the same population. Ages span 0–94 so that some residents are under
 * 15 and get no signing certificate (docs/jpki.md §1.5).
 */
import type { Random } from '../random.ts';
import { fullWidth, PREFECTURES } from './addresses.ts';
import { fullName, GIVEN_NAMES, splitName, SURNAMES } from './names.ts';

/** The registry data of a resident (住民票 basics); never any individual number. */
export interface ResidentInput {
  /** 氏名: surname U+3000 given name. */
  readonly name: string;
  /** Reading in katakana (not in the certificate; kept for realism and the CLI). */
  readonly nameKana?: string | undefined;
  /** 住所 from the prefecture, full-width digits. */
  readonly address: string;
  /** Gregorian date of birth, YYYY-MM-DD. */
  readonly birthDate: string;
  /** 性別: '1' male, '2' female, '3' unknown (docs/jpki.md §1.4). */
  readonly sex: '1' | '2' | '3';
}

/** A random address, different from `avoid` when given. */
export function generateAddress(rnd: Random, avoid?: string): string {
  for (;;) {
    const p = rnd.pick(PREFECTURES);
    const m = rnd.pick(p.municipalities);
    const town = rnd.pick(m.towns);
    const a = `${p.name}${m.name}${town}${fullWidth(1 + rnd.int(5))}丁目${fullWidth(1 + rnd.int(30))}－${fullWidth(1 + rnd.int(20))}`;
    if (a !== avoid) return a;
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** A random date of birth giving an age in [minAge, maxAge] at `now`. */
function generateBirthDate(rnd: Random, now: Date, minAge = 0, maxAge = 94): string {
  const age = minAge + rnd.int(maxAge - minAge + 1);
  const year = now.getUTCFullYear() - age - 1;
  const month = 1 + rnd.int(12);
  const day = 1 + rnd.int(28);
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** A full random resident; `given` fields override generated ones. */
export function generateResident(rnd: Random, now: Date, given: Partial<ResidentInput> = {}): ResidentInput {
  const sex = given.sex ?? (rnd.int(2) === 0 ? '1' : '2');
  const surname = rnd.pick(SURNAMES);
  const first = rnd.pick(GIVEN_NAMES[sex === '2' ? '2' : '1']);
  const generatedName = fullName(surname.kanji, first.kanji);
  return {
    name: given.name ?? generatedName,
    nameKana: given.name === undefined ? `${surname.kana}\u3000${first.kana}` : given.nameKana,
    address: given.address ?? generateAddress(rnd),
    birthDate: given.birthDate ?? generateBirthDate(rnd, now),
    sex,
  };
}

/** The name after marriage: a different surname, same given name (a simple, common case). */
export function generateMarriedName(rnd: Random, current: string): string {
  const { surname, given } = splitName(current);
  for (;;) {
    const s = rnd.pick(SURNAMES);
    if (s.kanji !== surname) return fullName(s.kanji, given);
  }
}
