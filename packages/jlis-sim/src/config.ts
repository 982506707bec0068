/**
 * The simulator's one configuration object (docs/conventions.md §9): a zod schema with every option
 * documented where it is defined; unknown keys are an error (`z.strictObject`). `configDocs()`
 * renders the same descriptions for the README and `--help`.
 */
import { z } from 'zod';
import { simError } from './errors.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** One CA generation (docs/jpki.md §1.1: all generations of a purpose share one DN). */
const generationSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[0-9A-Za-z-]{1,16}$/)
    .describe('Generation label used in URLs and file names, e.g. "2019".'),
  notBefore: isoDate.describe('First day of validity (UTC date; the CA starts at 00:00:00Z).'),
  notAfter: isoDate.describe(
    'Last day of validity (the CA ends at 14:59:59Z = 23:59:59 JST, docs/jpki.md §1.1).',
  ),
});

/** A web origin, `scheme://host[:port]` exactly as a browser sends it in `Origin` (RFC 6454 §6.1). */
const webOrigin = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s;
  } catch {
    return false; // not a URL: refused by this check
  }
}, 'expected an origin such as http://localhost:8780 (scheme, host and port; no path, no trailing slash)');

/** The configuration schema. */
export const configSchema = z.strictObject({
  dataDir: z
    .string()
    .min(1)
    .describe(
      'Directory holding the state (state.json), CA keys (PKCS#8 PEM, 0600), CRLs and the lock file.',
    ),
  host: z
    .string()
    .default('127.0.0.1')
    .describe('Address to listen on. Loopback by default: the simulator has no authentication.'),
  port: z.number().int().min(0).max(65535).default(8790).describe('TCP port; 0 picks a free one.'),
  publicUrl: z
    .url()
    .optional()
    .describe('Base URL advertised in /info (CRL, OCSP and CA URLs). Default: http://<host>:<port>.'),
  cardOrigins: z
    .array(webOrigin)
    .max(32)
    .default([])
    .describe(
      'Browser origins allowed to drive the hosted cards cross-origin (CORS on /cards, /cards/{id}/apdu, ' +
        '/cards/{id}/session and /devices/…; no other route), e.g. the platform wallet "http://localhost:8780". ' +
        'Empty: same-origin pages only. Other origins get 403 origin_not_allowed.',
    ),
  seed: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe(
      'Seed of the PRNG behind resident generation, PINs, IDs, serials and generated event details. ' +
        'Keys come from WebCrypto/node:crypto and cannot be seeded: they differ between runs unless the data dir is kept.',
    ),
  clock: z
    .discriminatedUnion('mode', [
      z.strictObject({ mode: z.literal('system') }),
      z.strictObject({
        mode: z.literal('fixed'),
        at: z.iso.datetime().describe('The frozen time (tests can move it).'),
      }),
      z.strictObject({
        mode: z.literal('offset'),
        offsetMs: z.number().int().describe('Added to the system time.'),
      }),
    ])
    .default({ mode: 'system' })
    .describe('Simulator clock: system time, a fixed time, or system time plus an offset.'),
  generations: z
    .array(generationSchema)
    .min(1)
    // docs/jpki.md §1.1, §2.1: J-LIS has three generations per purpose (signca01–03 /
    // authca01–03); the 2015 one expired on 2025-10-19 but stays for old signatures.
    .default([
      { name: '2015', notBefore: '2015-10-20', notAfter: '2025-10-19' },
      { name: '2019', notBefore: '2019-09-14', notAfter: '2029-09-14' },
      { name: '2023', notBefore: '2023-07-16', notAfter: '2033-07-15' },
    ])
    .describe(
      'CA generations per purpose, oldest first. A card is issued under the generation current at its issue date: ' +
        'the newest one valid then (an issuance from an older generation is dated while it was current).',
    ),
  crlIntervalSeconds: z
    .number()
    .int()
    .min(1)
    .default(86_400)
    .describe('CRL publication cadence (docs/jpki.md §2.2: daily). nextUpdate = thisUpdate + this interval.'),
  ocspRefreshSeconds: z
    .number()
    .int()
    .min(1)
    .default(900)
    .describe(
      'OCSP data refresh cadence (docs/jpki.md §2.2: 15 minutes). Responses reflect the last snapshot.',
    ),
  ocspUnknownIssuer: z
    .enum(['unauthorized', 'unknown'])
    .default('unauthorized')
    .describe(
      'Answer for a CertID whose issuer is not one of our CAs: the unsigned `unauthorized` status (RFC 6960 §2.3, ' +
        'RFC 5019 §2.2.3) or a signed `unknown` certStatus (RFC 6960 §2.2).',
    ),
  fees: z
    .strictObject({
      freePeriod: z
        .boolean()
        .default(false)
        .describe(
          'J-LIS free period (docs/jpki.md §2.2, from 2023-01): certificate checks cost ¥0; provision still costs.',
        ),
      signCheckYen: z.number().int().min(0).default(20).describe('Fee per signing-certificate OCSP check.'),
      authCheckYen: z
        .number()
        .int()
        .min(0)
        .default(2)
        .describe('Fee per user-authentication-certificate OCSP check.'),
      provisionYen: z
        .number()
        .int()
        .min(0)
        .default(20)
        .describe('Fee per latest-basic-4 provision that returns data.'),
    })
    .default({ freePeriod: false, signCheckYen: 20, authCheckYen: 2, provisionYen: 20 })
    .describe('Fee meter prices (docs/jpki.md §2.2, §4.2). CRL downloads are counted and always free.'),
  bodyLimitBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(64 * 1024)
    .describe('Largest request body accepted; larger bodies get a 413 problem.'),
  initialResidents: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(0)
    .describe(
      'Residents generated at first start (empty data dir). Half of them receive a card from the oldest generation ' +
        'still valid now, so that it has live certificates, the others from the newest.',
    ),
  schedule: z
    .boolean()
    .default(true)
    .describe('Run the CRL and OCSP cadences on timers. Off: only on-demand publication/refresh (tests).'),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level.'),
});

/** Validated configuration (defaults applied). */
export type SimConfig = z.output<typeof configSchema>;
/** Configuration as given by callers (defaults optional). */
export type SimConfigInput = z.input<typeof configSchema>;

/** Validates `input`; throws `config_invalid` listing every problem. */
export function parseConfig(input: unknown): SimConfig {
  const r = configSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw simError('config_invalid', `invalid simulator configuration: ${issues.join('; ')}`, {
      detail: { issues },
    });
  }
  return r.data;
}

/** Lines "key — description" for every top-level option (README and --help are generated from this). */
export function configDocs(): string[] {
  return Object.entries(configSchema.shape).map(([k, v]) => `${k} — ${v.description ?? ''}`);
}
