/**
 * The platform's one configuration object (docs/conventions.md §9): a zod schema with every option documented
 * where it is defined; unknown keys are an error. `parsePlatformConfig` turns a plain object (from a
 * file, the environment or code) into a typed, defaulted configuration or a `config_invalid` error.
 */
import { z } from 'zod';
import { WatashiError } from '@watashi/pki';

/** One rate-limit bucket: at most `max` requests per client address per `windowSeconds`. */
const rateLimitBucket = z.strictObject({
  max: z.number().int().min(1).describe('Requests allowed per window and client address.'),
  windowSeconds: z.number().int().min(1).max(86_400).describe('Length of the window in seconds.'),
});

/** The configuration schema. */
/**
 * The placeholder TSA policy OID (an unassigned arc under the IANA private-enterprise tree): fine
 * for simulation, refused in production, where the operator names its own policy (`tsa.policyOid`).
 */
export const PLACEHOLDER_TSA_POLICY = '1.3.6.1.4.1.99999.20.1';

export const platformConfigSchema = z.strictObject({
  mode: z
    .enum(['production', 'simulation'])
    .default('simulation')
    .describe(
      'production: real J-LIS roots only, PostgreSQL required, simulator refused. simulation: the simulator roots only (never both).',
    ),
  host: z.string().default('127.0.0.1').describe('Address to listen on.'),
  port: z.number().int().min(0).max(65535).default(8780).describe('TCP port; 0 picks a free one.'),
  publicUrl: z
    .url()
    .optional()
    .describe('Base URL residents and RPs see (WebAuthn origin, links). Default: http://<host>:<port>.'),
  dataDir: z
    .string()
    .min(1)
    .default('.data/platform')
    .describe('Directory for the embedded database (PGlite) and the local key store.'),
  databaseUrl: z
    .string()
    .optional()
    .describe('postgres://… to use PostgreSQL; absent: embedded PGlite in <dataDir>/db.'),
  database: z
    .strictObject({
      preparedStatements: z
        .boolean()
        .default(true)
        .describe(
          "PostgreSQL only. true: the token endpoint's hot statements run as named prepared statements (parsed once per connection). false: unnamed statements only — required behind PgBouncer in transaction mode before 1.21 (Debian 12 ships 1.18); docs/scaling.md gives the measured cost.",
        ),
      startupParameters: z
        .boolean()
        .default(true)
        .describe(
          'PostgreSQL only. true: statement_timeout and idle_in_transaction_session_timeout are sent when connecting. false: not sent (PgBouncer refuses unknown startup parameters); set them on the database role instead (ALTER ROLE … SET).',
        ),
      poolMax: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(10)
        .describe('PostgreSQL connections per instance; several instances multiply it.'),
    })
    .default({ preparedStatements: true, startupParameters: true, poolMax: 10 })
    .describe('How an instance talks to PostgreSQL (ignored on the embedded database).'),
  jobs: z
    .strictObject({
      claimSeconds: z
        .number()
        .int()
        .min(1)
        .max(86_399)
        .default(60)
        .describe(
          "PostgreSQL only. Seconds a claimed job (a sweep shard, a scheduled run) lasts without renewal; renewed every third of it while it runs. A killed instance's jobs are free again this long after it died (plus superviseSeconds), and another instance resumes its scheduled sweep (docs/scaling.md).",
        ),
      superviseSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(30)
        .describe(
          "PostgreSQL only. Seconds between the job queue's checks for lapsed claims (pg-boss supervisor).",
        ),
    })
    .default({ claimSeconds: 60, superviseSeconds: 30 })
    .describe('The shared job queue (pg-boss on PostgreSQL; jobs/pgboss-job-queue.ts).'),
  jlis: z
    .discriminatedUnion('kind', [
      z.strictObject({
        kind: z.literal('simulator'),
        url: z.url().describe('Base URL of the J-LIS simulator (its /info lists OCSP, CRL and CA URLs).'),
        operatorId: z
          .string()
          .min(1)
          .max(64)
          .default('watashi')
          .describe('Operator id sent to J-LIS (fee ledger).'),
      }),
      z.strictObject({
        kind: z.literal('standard'),
        ocspUrl: z.url().describe('OCSP responder URL (RFC 6960).'),
        crlUrls: z.array(z.url()).min(1).describe('Full CRL URLs, one per CA generation.'),
        operatorId: z.string().min(1).max(64).default('watashi').describe('Operator id sent to J-LIS.'),
      }),
    ])
    .optional()
    .describe('How the platform reaches J-LIS (the JpkiBackend port).'),
  jlisRootFiles: z
    .array(z.string().min(1))
    .max(32)
    .default([])
    .describe(
      'Production only: paths of root certificate files J-LIS publishes at https://www.jpki.go.jp/ca/ (DER `.cer` or PEM), added to the embedded generations 01 and 03 — e.g. generation 02 (signca02.cer, valid to 2029-09-14). Each is accepted only when its SHA-256 is one of the pins compiled into @watashi/jpki (JLIS_ROOT_PINS); any other file stops start-up with trust_root_unpinned. An unreadable file is config_jlis_root_unreadable; setting it in simulation mode is config_jlis_roots_in_simulation.',
    ),
  wallet: z
    .strictObject({
      hostedCardsUrl: z
        .url()
        .optional()
        .describe(
          "Base URL of the J-LIS simulator as the resident's browser reaches it: the enrolment page drives a hosted virtual card there (POST <url>/cards/<id>/apdu). Default: jlis.url when jlis.kind is simulator; absent with a standard J-LIS (no hosted cards). The simulator must list the wallet's origin in its cardOrigins. To use a card in a PC/SC reader, set it to the URL of `watashi card-bridge` (e.g. http://127.0.0.1:8791), started with --wallet-origin set to the platform's origin.",
        ),
    })
    .default({})
    .describe('The wallet pages served under /wallet (src/wallet).'),
  revocationPolicy: z
    .enum(['hard-fail', 'soft-fail'])
    .default('hard-fail')
    .describe('What an unknown revocation status means at enrolment: hard-fail refuses (default).'),
  enrolmentTtlSeconds: z
    .number()
    .int()
    .min(30)
    .max(3600)
    .default(600)
    .describe('How long an enrolment document (and its nonce) can be signed.'),
  allowMultipleAccountsPerPerson: z
    .boolean()
    .default(false)
    .describe('false: one live private ID per person; a second enrolment re-proofs the existing account.'),
  bodyLimitBytes: z.number().int().min(1024).default(65_536).describe('Largest accepted request body.'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  adminToken: z
    .string()
    .min(32)
    .max(512)
    .optional()
    .describe(
      'Operator bearer token for `auth: admin` routes (Authorization: Bearer …), compared in constant time. Absent: admin routes answer 403 admin_forbidden.',
    ),
  operations: z
    .strictObject({
      drainTimeoutSeconds: z
        .number()
        .min(0)
        .max(600)
        .default(25)
        .describe(
          "On SIGTERM/SIGINT (and `close()`): how long in-flight requests may take to finish after the server stops accepting; connections still open then are cut. Keep it below the supervisor's stop timeout (systemd TimeoutStopSec, Kubernetes terminationGracePeriodSeconds).",
        ),
      readinessTimeoutMs: z
        .number()
        .int()
        .min(50)
        .max(10_000)
        .default(1000)
        .describe(
          'Bound of each /readyz check (database, key store, J-LIS); a check that takes longer is down.',
        ),
      jlisRequired: z
        .boolean()
        .default(false)
        .describe(
          'Whether /readyz answers 503 when J-LIS is unreachable. false (default): J-LIS is reported but an outage does not take instances out of the load balancer, since sign-in with passkeys and the OpenID Provider work without it.',
        ),
      metricsToken: z
        .string()
        .min(32)
        .max(512)
        .optional()
        .describe(
          'Bearer token of GET /metrics (Prometheus `authorization: { credentials: … }`), compared in constant time; not the admin token, so a scraper holds no operator power. Absent: /metrics is not served (404).',
        ),
    })
    .default({ drainTimeoutSeconds: 25, readinessTimeoutMs: 1000, jlisRequired: false })
    .describe('Health, readiness, metrics and shutdown (docs/operations.md).'),
  housekeepingIntervalSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(600)
    .describe(
      'How often expired challenges, enrolment nonces, OIDC artefacts and signing preparations are deleted (store/housekeeping.ts); 0 turns it off.',
    ),
  events: z
    .strictObject({
      deliveryIntervalSeconds: z
        .number()
        .int()
        .min(0)
        .max(3600)
        .default(5)
        .describe(
          'How often this instance delivers due events to RPs (lifecycle/events); 0 turns delivery off on this instance.',
        ),
      maxAttempts: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(10)
        .describe(
          'Attempts of one delivery before it is dead-lettered (status dead; `watashi events retry`).',
        ),
      retryBaseSeconds: z
        .number()
        .min(0.001)
        .max(86_400)
        .default(30)
        .describe('Delay before the first retry; doubles at each attempt, with jitter (half to full delay).'),
      retryMaxSeconds: z
        .number()
        .min(0.001)
        .max(7 * 86_400)
        .default(6 * 3600)
        .describe('Longest delay between two attempts.'),
      leaseSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(60)
        .describe(
          'How long a claimed delivery stays with its worker; after that another instance may take it.',
        ),
      timeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(120)
        .default(10)
        .describe('HTTP timeout of one delivery attempt.'),
    })
    .default({
      deliveryIntervalSeconds: 5,
      maxAttempts: 10,
      retryBaseSeconds: 30,
      retryMaxSeconds: 6 * 3600,
      leaseSeconds: 60,
      timeoutSeconds: 10,
    })
    .describe('Lifecycle events to relying parties (Security Event Tokens, webhooks, back-channel logout).'),
  fees: z
    .strictObject({
      ocspSign: z
        .number()
        .int()
        .min(0)
        .default(20)
        .describe(
          'Yen per OCSP check of a signing certificate: J-LIS 電子証明書検証手数料 ¥20 (docs/jpki.md §2.2, [dga-jpki] §3.3). J-LIS waived it for three years from January 2023; set 0 while a waiver applies.',
        ),
      ocspAuth: z
        .number()
        .int()
        .min(0)
        .default(2)
        .describe('Yen per OCSP check of a user-authentication certificate: ¥2 (docs/jpki.md §2.2).'),
      crl: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe('Yen per full CRL download: the CRL method is free permanently since January 2023 (§2.2).'),
      provision: z
        .number()
        .int()
        .min(0)
        .default(20)
        .describe(
          'Yen per latest-basic-4 provision that provided something (docs/jpki.md §4.2: ¥20; nothing is charged when J-LIS has nothing new).',
        ),
      consent: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe('Yen per consent registration or withdrawal (no fee is published: 0).'),
      chargeFailedQueries: z
        .boolean()
        .default(false)
        .describe(
          'Price a query that failed (timeout, HTTP error, unverifiable answer) as if it had succeeded. false: it is recorded at ¥0.',
        ),
    })
    .default({ ocspSign: 20, ocspAuth: 2, crl: 0, provision: 20, consent: 0, chargeFailedQueries: false })
    .describe('Prices recorded in the fee ledger (jlis/ledger.ts), per query, at the time of the query.'),
  ocspCache: z
    .strictObject({
      maxSeconds: z
        .number()
        .int()
        .min(0)
        .max(86_400)
        .default(900)
        .describe(
          "Longest an OCSP answer is reused, even when the responder's nextUpdate is later. Default 900: J-LIS refreshes its OCSP data every 15 minutes (docs/jpki.md §2.2). 0: no cache.",
        ),
      maxEntries: z
        .number()
        .int()
        .min(0)
        .max(10_000_000)
        .default(10_000)
        .describe('Answers kept per instance.'),
    })
    .default({ maxSeconds: 900, maxEntries: 10_000 })
    .describe(
      'Reuse of single-certificate OCSP answers at sensitive moments (enrolment, card login, top-level OIDC login): fresh while now < min(nextUpdate, checkedAt + maxSeconds). Per instance, in memory.',
    ),
  audit: z
    .strictObject({
      checkpointDir: z
        .string()
        .min(1)
        .optional()
        .describe(
          'Write a signed checkpoint of the audit chain head here every checkpointIntervalSeconds (store/audit-checkpoint.ts); keep it off the database host. Absent: no periodic checkpoints (run `watashi audit checkpoint --out DIR` from cron instead).',
        ),
      checkpointIntervalSeconds: z
        .number()
        .int()
        .min(60)
        .max(86_400)
        .default(3600)
        .describe('How often each instance writes a checkpoint when checkpointDir is set.'),
      tsaUrl: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe(
          'RFC 3161 time-stamp authority: each checkpoint gets a token over SHA-256 of its JWS (store/audit-checkpoint.ts). A TSA that is down or answers a token that does not verify leaves the checkpoint written without one and a warning logged. Requires tsaCertificates.',
        ),
      tsaCertificates: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe(
          "PEM file(s) of the TSA's certificate chain to trust (a root, an intermediate or the TSA certificate): a token must chain to one of them.",
        ),
    })
    .refine((a) => a.tsaUrl === undefined || a.tsaCertificates !== undefined, {
      message: 'audit.tsaUrl needs audit.tsaCertificates (the TSA certificates to trust)',
      path: ['tsaCertificates'],
    })
    .default({ checkpointIntervalSeconds: 3600 })
    .describe('Anchoring the audit chain outside the database.'),
  sweep: z
    .strictObject({
      intervalHours: z
        .number()
        .min(0)
        .max(168)
        .default(24)
        .describe(
          'Run the revocation sweep every this many hours (J-LIS publishes its CRL daily: 24). 0: never (run `watashi sweep` from cron instead).',
        ),
      atHourJst: z
        .number()
        .int()
        .min(0)
        .max(23)
        .optional()
        .describe(
          'Align the runs to this hour of the day, Japan time (e.g. 6: 06:00 JST, then every intervalHours). Absent: a run is due intervalHours after the last one started, and at once when none ever ran.',
        ),
      checkSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(300)
        .describe('How often each instance looks whether a run is due.'),
      provisions: z
        .strictObject({
          concurrency: z
            .number()
            .int()
            .min(1)
            .max(256)
            .default(8)
            .describe('Latest-basic-4 provisions asked of J-LIS at once per shard.'),
          deadlineSeconds: z
            .number()
            .int()
            .min(1)
            .max(86_400)
            .default(900)
            .describe(
              'No provision is asked after this many seconds of a run (each request is cut to the time left); what is left is deferred to the retry job, and the accounts are left as they were.',
            ),
          timeoutSeconds: z
            .number()
            .int()
            .min(1)
            .max(120)
            .default(10)
            .describe('Timeout of one provision request.'),
          breakerFailures: z
            .number()
            .int()
            .min(1)
            .max(1000)
            .default(5)
            .describe(
              'Consecutive transient failures (unreachable, timeout, 5xx) after which J-LIS is not asked for breakerCooldownSeconds.',
            ),
          breakerCooldownSeconds: z
            .number()
            .int()
            .min(1)
            .max(86_400)
            .default(60)
            .describe('How long the circuit breaker stays open before one trial request.'),
        })
        // Absent: {} parsed through the fields above, so each default is stated once (zod 4).
        .prefault({})
        .describe(
          'How the sweep asks J-LIS for the latest basic 4 information (lifecycle/provisions.ts): bounded concurrency, a deadline per run, a circuit breaker; unanswered provisions go to the `sweep.provisions` retry job.',
        ),
    })
    .prefault({})
    .describe(
      'The scheduled revocation sweep (lifecycle/schedule.ts); one instance runs it, through the job queue (pg-boss on PostgreSQL).',
    ),
  sessionTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(8 * 3600)
    .describe('Lifetime of a resident session (cookie watashi_session) from sign-in; not extended by use.'),
  keyStore: z
    .strictObject({
      kind: z
        .enum(['local', 'memory'])
        .default('local')
        .describe(
          'local: key files (0600) in `dir`, created on first start. memory: fresh keys per process (tests, demos; sealed data is lost on restart).',
        ),
      dir: z
        .string()
        .min(1)
        .optional()
        .describe('Directory of the local key files. Default: <dataDir>/keys.'),
      refreshSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(60)
        .describe(
          'How often an instance reads the signing keys again (a key added by `watashi keys rotate` on a shared key directory). A new key is published by every instance within this time and signs only once it is twice this old (docs/scaling.md).',
        ),
    })
    .default({ kind: 'local', refreshSeconds: 60 })
    .describe('Where the data key (basic 4 sealing) and the HMAC secrets (person keys) live.'),
  ca: z
    .strictObject({
      pkcs11: z
        .strictObject({
          module: z
            .string()
            .min(1)
            .describe('Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so.'),
          tokenLabel: z.string().min(1).max(32).describe('Label of the token holding the CA keys.'),
          pinEnv: z
            .string()
            .regex(/^[A-Z_][A-Z0-9_]*$/)
            .default('WATASHI_CA_PKCS11_PIN')
            .describe('Environment variable holding the user PIN (never written in the configuration).'),
        })
        .optional()
        .describe(
          'Keep the CA keys (purposes ca-root, ca-issuing) in a PKCS#11 token. Default: the key store above.',
        ),
      activationSeconds: z
        .number()
        .int()
        .min(30)
        .max(86_400)
        .default(600)
        .describe('How long an issued device certificate waits for its activation before it is revoked.'),
      freshAuthSeconds: z
        .number()
        .int()
        .min(30)
        .max(3600)
        .default(300)
        .describe('Issuance needs a sign-in at most this old (a passkey, a device certificate or the card).'),
      trustedTokenModels: z
        .array(z.string().min(1).max(64))
        .default([])
        .describe(
          'PKCS#11 token models whose keys the operator accepts as tamper-resistant hardware: their device certificates with the PIN reach 当人認証保証レベル3. Empty: no token model is trusted (level 2 at most).',
        ),
    })
    .prefault({})
    .describe("Watashi's own CA for residents' device certificates (docs/trust-service.md)."),
  rateLimits: z
    .strictObject({
      enabled: z.boolean().default(true).describe('false disables rate limiting (benchmarks only).'),
      default: rateLimitBucket
        .default({ max: 600, windowSeconds: 60 })
        .describe('Every route not marked otherwise.'),
      authentication: rateLimitBucket
        .default({ max: 30, windowSeconds: 60 })
        .describe('Routes with `rateLimit: authentication` (enrolment, sign-in): stricter.'),
    })
    .default({
      enabled: true,
      default: { max: 600, windowSeconds: 60 },
      authentication: { max: 30, windowSeconds: 60 },
    })
    .describe('Per-client-address request limits; over the limit: 429 problem rate_limited.'),
  oidcRequirePar: z
    .boolean()
    .default(false)
    .describe(
      'Require pushed authorization requests (RFC 9126 §5) from every RP; false: only from RPs registered with `--require-par`.',
    ),
  tsa: z
    .strictObject({
      policyOid: z
        .string()
        .regex(/^[0-2](\.(0|[1-9][0-9]*))+$/, 'a dotted object identifier, e.g. 1.2.392.123456.1.1')
        .default(PLACEHOLDER_TSA_POLICY)
        .describe(
          `The TSA policy under which the platform's time-stamping authority (POST /tsa, the signatures the wallet makes) issues its tokens (RFC 3161 §2.4.2 TSTInfo.policy): an OID under the operator's own arc, naming the operator's published TSA policy (ETSI EN 319 421). The default ${PLACEHOLDER_TSA_POLICY} is a placeholder for simulation only; production mode refuses it at start-up (config_tsa_policy_placeholder).`,
        ),
    })
    .default({ policyOid: PLACEHOLDER_TSA_POLICY })
    .describe("The platform's RFC 3161 time-stamping authority (docs/signatures.md)."),
  trustProxy: z
    .boolean()
    .default(false)
    .describe('Trust X-Forwarded-* from a reverse proxy (client address for rate limits and logs).'),
  allowInProduction: z
    .strictObject({
      simulatorBackend: z
        .boolean()
        .default(false)
        .describe('Let a production platform reach the J-LIS simulator (roots stay the real ones).'),
      embeddedDatabase: z
        .boolean()
        .default(false)
        .describe(
          'Let a production platform run on embedded PGlite instead of PostgreSQL (single node only).',
        ),
    })
    .default({ simulatorBackend: false, embeddedDatabase: false })
    .describe('Escape hatches for production mode; both off by default.'),
});

/** The parsed, defaulted configuration. */
export type PlatformConfig = z.infer<typeof platformConfigSchema>;
/** What callers may pass (defaults filled in by {@link parsePlatformConfig}). */
export type PlatformConfigInput = z.input<typeof platformConfigSchema>;

/**
 * Parses and defaults a configuration; unknown keys and bad values are `config_invalid` (the
 * message names the first offending path; `detail.issues` lists all of them).
 */
export function parsePlatformConfig(input: unknown): PlatformConfig {
  const r = platformConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
    ...('keys' in i && Array.isArray(i.keys) ? { keys: i.keys } : {}),
  }));
  const first = issues[0];
  throw new WatashiError(
    'config_invalid',
    `invalid platform configuration${first === undefined ? '' : ` at ${first.path || '(root)'}: ${first.message}`}`,
    { detail: { issues } },
  );
}
