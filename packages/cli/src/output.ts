/** Output helpers: every command that prints data supports `--json`. */

/** Prints `data` as JSON when `json` is set, otherwise through `human`. */
export function emit(json: boolean | undefined, data: unknown, human: (d: never) => string): void {
  if (json)
    process.stdout.write(
      `${JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
    );
  else process.stdout.write(`${human(data as never)}\n`);
}

/** Renders rows as an aligned two-column table. */
export function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const w = Math.max(0, ...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

// East Asian Wide and Fullwidth ranges (Unicode UAX #11) that occur in names and addresses: Hangul
// Jamo, CJK radicals to Yi, Hangul syllables, CJK compatibility ideographs, CJK compatibility forms,
// fullwidth forms, and the supplementary ideographic planes.
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]/u;

/** Terminal columns taken by `s`: 2 for wide characters (Japanese names and addresses), 1 otherwise. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += WIDE.test(ch) ? 2 : 1;
  return w;
}

const padTo = (s: string, width: number): string => s + ' '.repeat(Math.max(0, width - displayWidth(s)));

/** Renders a header and rows as aligned columns (wide characters counted as two columns). */
export function columns(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const all = [header, ...rows];
  const widths = header.map((_h, i) => Math.max(...all.map((r) => displayWidth(r[i] ?? ''))));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : padTo(cell, widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
