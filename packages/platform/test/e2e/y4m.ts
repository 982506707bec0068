/**
 * A QR code as a Y4M video file, for Chromium's fake camera (`--use-file-for-fake-video-capture`):
 * YUV4MPEG2 is a text header and raw 4:2:0 frames ("FRAME\n", then the Y, U and V planes), so a
 * black-on-white image needs no encoder. The QR matrix comes from the `uqr` library.
 */
import { writeFileSync } from 'node:fs';
import { encode } from 'uqr';

/** Writes `text` as a QR code into a Y4M file of `frames` identical frames at `scale` px per module. */
export function writeQrY4m(path: string, text: string, scale = 6, frames = 2): void {
  const qr = encode(text, { ecc: 'L', border: 4 });
  const n = qr.data.length;
  // Even dimensions (4:2:0 halves them), with a margin around the code.
  const side = Math.ceil((n * scale + 64) / 16) * 16;
  const offset = Math.floor((side - n * scale) / 2);
  const y = Buffer.alloc(side * side, 235); // white (video range)
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++)
      if (qr.data[r]![c] === true)
        for (let dy = 0; dy < scale; dy++)
          y.fill(
            16,
            (offset + r * scale + dy) * side + offset + c * scale,
            (offset + r * scale + dy) * side + offset + (c + 1) * scale,
          );
  const chroma = Buffer.alloc((side / 2) * (side / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${side} H${side} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}

/**
 * Writes a greyscale image (`gray`: one byte per pixel, 0 black … 255 white, `width`×`height`) into
 * a Y4M file of `frames` identical frames, padded with white to even dimensions: what a camera held
 * over another screen would see (used for the wallet's presentation QR, taken from its screenshot).
 */
export function writeGrayY4m(
  path: string,
  gray: Uint8Array,
  width: number,
  height: number,
  frames = 2,
): void {
  const w = width + (width % 2);
  const h = height + (height % 2);
  const y = Buffer.alloc(w * h, 235);
  for (let r = 0; r < height; r++)
    for (let c = 0; c < width; c++)
      y[r * w + c] = 16 + Math.round(((gray[r * width + c] ?? 255) * 219) / 255);
  const chroma = Buffer.alloc((w / 2) * (h / 2), 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]));
}
