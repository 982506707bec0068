/**
 * The start-up banner (docs/conventions.md §12: the simulator is a product, clearly labelled). It says that
 * this is not J-LIS, that its roots are `O=JPKI-SIM` and refused by production trust configuration,
 * and lists the URLs a platform operator needs.
 */
import type { InfoDocument } from './simulator.ts';

/** The banner text for a running simulator. */
export function banner(info: InfoDocument, dataDir: string, seed: string): string {
  const line = '='.repeat(78);
  const cas = info.caCertificates.map(
    (c) => `    ${c.purpose.padEnd(4)} ${c.generation.padEnd(6)} ${c.url}  sha256:${c.sha256.slice(0, 16)}…`,
  );
  const crls = info.crls.map((c) => `    ${c.purpose.padEnd(4)} ${c.generation.padEnd(6)} ${c.url}`);
  return [
    line,
    '  J-LIS SIMULATOR — NOT the Japan Agency for Local Authority Information Systems.',
    '  Development and test only. Residents are synthetic. CA names carry O=JPKI-SIM;',
    '  production trust configuration refuses these roots.',
    line,
    `  base URL     ${info.baseUrl}`,
    `  OCSP         ${info.ocspUrl}   (refresh every ${info.ocspRefreshSeconds} s)`,
    `  CRLs         (published every ${info.crlIntervalSeconds} s)`,
    ...crls,
    '  CA certificates',
    ...cas,
    `  OpenAPI      ${info.baseUrl}/openapi.json`,
    `  data dir     ${dataDir}`,
    `  seed         ${seed}`,
    line,
    '',
  ].join('\n');
}
