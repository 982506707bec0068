/**
 * A QR code as one SVG path (the `uqr` encoder): drawn by the wallet's presentation screen and the
 * offline counter page without `innerHTML` (the platform's CSP and no markup from strings).
 *
 * Error correction `L` (7 %): the codes are read from a screen, which is neither dirty nor torn,
 * and the presentation is long (about 1.6 kB, docs/credentials.md §4.1) — the lowest level keeps the
 * version, and so the module count a camera must resolve, as small as it can be.
 */
import { encode } from 'uqr';

/** The error-correction level of every QR the wallet and the offline counter draw. */
export const QR_ECC = 'L' as const;
/** The quiet zone in modules (ISO/IEC 18004 §6.3.8 asks for 4). */
export const QR_BORDER = 4;

/** A QR code's side in modules (quiet zone included), its version, and its dark modules as a path. */
export interface QrPath {
  readonly size: number;
  readonly version: number;
  readonly d: string;
}

/** Encodes `text` (byte mode) and returns the SVG path of its dark modules, one `h1v1h-1z` each run. */
export function qrPath(text: string): QrPath {
  const qr = encode(text, { ecc: QR_ECC, border: QR_BORDER });
  let d = '';
  qr.data.forEach((row, y) => {
    for (let x = 0; x < row.length; x++) {
      if (row[x] !== true) continue;
      let run = 1;
      while (row[x + run] === true) run++;
      d += `M${x} ${y}h${run}v1h-${run}z`;
      x += run - 1;
    }
  });
  return { size: qr.size, version: qr.version, d };
}
