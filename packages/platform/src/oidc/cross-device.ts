/**
 * Cross-device sign-in (issue 19, docs/cross-device.md): a resident signs in to a relying party on
 * a computer that holds no passkey by scanning a QR code with the wallet on their phone, checking
 * where and what the sign-in is, picking the number the computer shows, and approving with the
 * phone's device key. Migration 0023 holds the requests.
 *
 * The computer (its browser holds oidc-provider's interaction cookie, scoped to
 * `/oidc/interaction/<uid>`, so these routes live under that path):
 * - `POST /oidc/interaction/:uid/cross-device` → `{ id, number, qr: { uri, svg }, expiresAt }` and
 *   the cookie `watashi_xdevice` (random, HttpOnly, SameSite=Strict, scoped to the interaction's
 *   path, 2 minutes): the request is bound to this browser. Only the interaction's own browser may
 *   make one, only at the login step.
 * - `GET /oidc/interaction/:uid/cross-device/:id` → `{ status }`: `waiting`, `scanned`,
 *   `approved`, `refused`, `denied`, `expired` or `used` (the page polls: docs/cross-device.md).
 * - `POST /oidc/interaction/:uid/cross-device/:id/complete` → `{ location }`: once, by the browser
 *   holding the cookie, after the phone approved: starts a Watashi session on the computer for the
 *   approving account and finishes the interaction's login (acr/amr: {@link crossDeviceFacts}).
 *
 * The phone (the wallet, signed in):
 * - `POST /api/cross-device/lookup { token }` → {@link CrossDeviceView}: the RP, where the
 *   sign-in was started (IP network, browser and system from the User-Agent, time), whether that
 *   is the phone's own network, and three numbers each with the exact bytes the device key signs.
 * - `POST /api/cross-device/approve { token, number, certificate, signature }`: checked, failing
 *   closed, before anything changes: the request is pending and unexpired; the certificate is an
 *   active device certificate of this account (approvals.ts `usableDevice`); the signature
 *   verifies over the signing input of *this* request with the picked number; then the number
 *   must be the one the computer shows — a wrong pick kills the request (no second guess).
 * - `POST /api/cross-device/deny { token }`: the resident stops it.
 *
 * Why the JSON routes need no CSRF token: a cross-site page can send neither a JSON body without
 * a CORS preflight nor the SameSite=Strict cookie that collects the result.
 *
 * Audit: `oidc.cross_device.approved`, `oidc.cross_device.refused` (wrong number),
 * `oidc.cross_device.denied`, `oidc.cross_device.completed`.
 */
import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Selectable } from 'kysely';
import type Provider from 'oidc-provider';
import { renderSVG } from 'uqr';
import { z } from 'zod';
import type { AuthenticatorFacts } from '../assurance/evaluate.ts';
import { decide, selectAcr } from '../assurance/policy.ts';
import { loginContext } from '../authn/context.ts';
import { deviceCertificateFacts } from '../devices/facts.ts';
import { describeDevice, type DeviceView } from '../me/device.ts';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { emptyBody, withSchemas } from '../server/schemas.ts';
import { startSession } from '../server/sessions.ts';
import { appendAudit } from '../store/audit.ts';
import type { CrossDeviceRequestsTable } from '../store/schema.ts';
import { usableDevice, verifyP256 } from './approvals.ts';
import { checkIdentityAnchor, requestedAcrValues, requirementOf } from './assurance.ts';
import { interactionOf, interactionPath, uidParams } from './interaction.ts';
import { OIDC_PREFIX, registryOf } from './provider.ts';

/** How long a QR may be answered and collected (seconds). */
export const CROSS_DEVICE_SECONDS = 120;
/** The cookie binding a request to the computer's browser. */
export const CROSS_DEVICE_COOKIE = 'watashi_xdevice';
/** Where the QR sends a phone's camera app (the token travels in the fragment, never to a server log). */
export const WALLET_CROSS_DEVICE_PATH = '/wallet/cross-device';

/** Error codes of cross-device sign-in (each has a sentence in the wallet's catalogues). */
export type CrossDeviceErrorCode =
  | 'xdevice_not_found'
  | 'xdevice_expired'
  | 'xdevice_used'
  | 'xdevice_closed'
  | 'xdevice_number_mismatch'
  | 'xdevice_other_browser'
  | 'xdevice_not_approved'
  | 'xdevice_device_unusable'
  | 'xdevice_signature_invalid';

/** What the computer's poll says. */
export type CrossDeviceStatus =
  'waiting' | 'scanned' | 'approved' | 'refused' | 'denied' | 'expired' | 'used';

/** A request as the phone shows it. */
export interface CrossDeviceView {
  readonly id: string;
  readonly rp: { readonly name: string; readonly purpose: string };
  /** Where the sign-in was started, as far as the server can honestly tell (no geolocation). */
  readonly origin: {
    /** The IP network (`203.0.113.0/24`, `2001:db8:1::/48`), or null when unknown. */
    readonly network: string | null;
    /** Whether the phone's own request comes from the same network. */
    readonly sameNetworkAsThisPhone: boolean;
    /** Browser, system and kind from the computer's User-Agent (what it claims). */
    readonly device: DeviceView;
    readonly startedAt: string;
  };
  readonly expiresAt: string;
  /** The three numbers offered (one is the computer's), each with the exact bytes to sign. */
  readonly choices: readonly { readonly number: number; readonly signingInput: string }[];
}

type Row = Selectable<CrossDeviceRequestsTable>;

const sha256 = (s: string): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());
const random = (): string => randomBytes(32).toString('base64url');

/**
 * The exact text the device key signs to approve request `id` of RP `clientId` with `number`:
 * a fixed first line, then one `name=value` line each (UTF-8). The request id and nonce make a
 * signature useless for any other request; the number is the one the resident picked.
 */
export function crossDeviceSigningInput(r: {
  id: string;
  clientId: string;
  number: number;
  nonce: string;
}): string {
  return [
    'watashi-cross-device-login/1',
    `request=${r.id}`,
    `rp=${r.clientId}`,
    `number=${String(r.number)}`,
    `nonce=${r.nonce}`,
  ].join('\n');
}

/**
 * The IP network of `ip` as shown to the resident: IPv4 /24, IPv6 /48 (an IPv4-mapped address as
 * IPv4); null when `ip` is not an address. Coarse on purpose: it says "this network", not "this
 * machine", and no place (there is no GeoIP database offline; docs/cross-device.md).
 */
export function networkOf(ip: string | undefined): string | null {
  if (ip === undefined) return null;
  const bare = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  const v4 = mapped ?? bare;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(bare)) return null;
  const [head = '', tail] = bare.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const full = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const groups = full.slice(0, 3).map((x) => parseInt(x, 16).toString(16));
  // RFC 5952 §4.2: trailing zero groups fold into the `::`.
  while (groups.at(-1) === '0') groups.pop();
  return `${groups.join(':')}::/48`;
}

/**
 * What a cross-device approval proves: the phone's device key (as a device-certificate sign-in),
 * except that it is NOT phishing resistant — the QR can be shown to the resident by a page the
 * attacker controls, and nothing binds the phone to the computer's origin (unlike FIDO hybrid with
 * its Bluetooth proximity check). Number matching, the 2-minute life and the network shown on the
 * phone make such a relay hard; they do not make it impossible (docs/cross-device.md).
 */
export function crossDeviceFacts(attestationFmt: string | null): AuthenticatorFacts {
  return { ...deviceCertificateFacts(attestationFmt), phishingResistant: false };
}

/** Three distinct 2-digit numbers, `number` among them at a random place. */
function choicesFor(number: number): number[] {
  const out = new Set<number>([number]);
  while (out.size < 3) out.add(randomInt(10, 100));
  const list = [...out];
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** The QR's content: the wallet's page on the phone, the token in the fragment. */
function qrUri(deps: PlatformDeps, req: FastifyRequest, token: string): string {
  const base = deps.config.publicUrl ?? `${req.protocol}://${req.host}`;
  return `${base.replace(/\/$/, '')}${WALLET_CROSS_DEVICE_PATH}#t=${token}`;
}

/** Starts a request for the interaction `uid` (see the module comment); sets the browser cookie. */
export async function createCrossDevice(
  deps: PlatformDeps,
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  uid: string,
): Promise<{ id: string; number: number; qr: { uri: string; svg: string }; expiresAt: string }> {
  const { details, client } = await interactionOf(provider, req, reply, uid);
  if (details.prompt.name !== 'login')
    throw problem('oidc_interaction_wrong_step', 409, 'this sign-in is past the login step');
  const now = deps.now();
  const id = randomUUID();
  const token = random();
  const browser = random();
  const number = randomInt(10, 100);
  const expiresAt = new Date(now.getTime() + CROSS_DEVICE_SECONDS * 1000);
  const ua = req.headers['user-agent'];
  await deps.db
    .insertInto('cross_device_requests')
    .values({
      id,
      token_hash: sha256(token),
      browser_hash: sha256(browser),
      interaction_uid: uid,
      client_id: String(client['client_id']),
      number,
      choices: choicesFor(number).join(' '),
      nonce: random(),
      origin_network: networkOf(req.ip),
      origin_user_agent: typeof ua === 'string' && ua.trim() !== '' ? ua.slice(0, 512) : null,
      created_at: now,
      expires_at: expiresAt,
      scanned_at: null,
      decided_at: null,
      used_at: null,
      account_id: null,
      device_serial: null,
    })
    .execute();
  void reply.setCookie(CROSS_DEVICE_COOKIE, browser, {
    path: interactionPath(uid),
    httpOnly: true,
    sameSite: 'strict',
    secure: deps.config.publicUrl?.startsWith('https:') === true,
    maxAge: CROSS_DEVICE_SECONDS,
  });
  const uri = qrUri(deps, req, token);
  return {
    id,
    number,
    qr: { uri, svg: renderSVG(uri, { ecc: 'M', border: 2 }) },
    expiresAt: expiresAt.toISOString(),
  };
}

/** The request `id` of interaction `uid` if this browser made it (its cookie), else a problem. */
async function ownRow(deps: PlatformDeps, req: FastifyRequest, uid: string, id: string): Promise<Row> {
  const row = await deps.db
    .selectFrom('cross_device_requests')
    .selectAll()
    .where('id', '=', id)
    .where('interaction_uid', '=', uid)
    .executeTakeFirst();
  if (row === undefined) throw problem('xdevice_not_found', 404, 'no such cross-device sign-in');
  const cookie = req.cookies[CROSS_DEVICE_COOKIE];
  if (cookie === undefined || !Buffer.from(sha256(cookie)).equals(Buffer.from(row.browser_hash)))
    throw problem('xdevice_other_browser', 403, 'only the browser that showed the QR can use it');
  return row;
}

/** What the computer's poll says about a row now. */
function statusOf(row: Row, now: Date): CrossDeviceStatus {
  if (row.state === 'used' || row.state === 'refused' || row.state === 'denied') return row.state;
  if (row.expires_at <= now) return 'expired';
  if (row.state === 'approved') return 'approved';
  return row.scanned_at === null ? 'waiting' : 'scanned';
}

/** The computer's poll. */
export async function crossDeviceStatus(
  deps: PlatformDeps,
  req: FastifyRequest,
  uid: string,
  id: string,
): Promise<CrossDeviceStatus> {
  return statusOf(await ownRow(deps, req, uid, id), deps.now());
}

/**
 * Collects an approved request (once, by its browser, before it expires): starts a Watashi session
 * for the approving account on the computer and finishes the interaction's login; returns where
 * the browser goes next (oidc-provider's resume).
 */
export async function completeCrossDevice(
  deps: PlatformDeps,
  provider: Provider,
  req: FastifyRequest,
  reply: FastifyReply,
  uid: string,
  id: string,
): Promise<string> {
  const row = await ownRow(deps, req, uid, id);
  const { details, client } = await interactionOf(provider, req, reply, uid);
  if (details.prompt.name !== 'login')
    throw problem('oidc_interaction_wrong_step', 409, 'this sign-in is past the login step');
  const now = deps.now();
  // Still usable now, checked before the request is spent: the device certificate and its
  // authenticator not revoked since the approval, the account neither closed nor suspended.
  const device =
    row.device_serial === null || row.account_id === null
      ? undefined
      : await deps.db
          .selectFrom('device_certificates as d')
          .innerJoin('authenticators as a', 'a.id', 'd.authenticator_id')
          .innerJoin('accounts as acc', 'acc.id', 'd.account_id')
          .select(['a.id', 'a.attestation_fmt'])
          .where('d.serial', '=', row.device_serial)
          .where('d.account_id', '=', row.account_id)
          .where('d.revoked_at', 'is', null)
          .where('d.not_after', '>', now)
          .where('a.revoked_at', 'is', null)
          .where('acc.status', 'not in', ['closed', 'suspended'])
          .executeTakeFirst();
  if (row.state === 'approved' && device === undefined)
    throw problem('xdevice_device_unusable', 403, 'the approving device can no longer be used');
  const used = await deps.database.transaction(async (trx) => {
    const r = await trx
      .updateTable('cross_device_requests')
      .set({ state: 'used', used_at: now })
      .where('id', '=', row.id)
      .where('browser_hash', '=', row.browser_hash)
      .where('state', '=', 'approved')
      .where('expires_at', '>', now)
      .returning(['account_id', 'device_serial'])
      .executeTakeFirst();
    if (r === undefined || r.account_id === null || r.account_id !== row.account_id) return undefined;
    await appendAudit(trx, {
      actor: `account:${r.account_id}`,
      type: 'oidc.cross_device.completed',
      accountId: r.account_id,
      at: now,
      payload: { clientId: row.client_id, requestId: row.id, deviceSerial: r.device_serial },
    });
    return { accountId: r.account_id };
  });
  if (used === undefined) {
    const status = statusOf(row, now);
    if (status === 'expired') throw problem('xdevice_expired', 410, 'this QR code has expired');
    if (status === 'used') throw problem('xdevice_used', 409, 'this sign-in was already used');
    if (status === 'refused' || status === 'denied')
      throw problem('xdevice_closed', 410, 'this sign-in was stopped on the phone');
    throw problem('xdevice_not_approved', 409, 'the phone has not approved yet');
  }
  if (device === undefined) throw new Error('cross-device: approved request without its device');
  const requirement = requirementOf(registryOf(client).minAcr, requestedAcrValues(details.params));
  await checkIdentityAnchor(deps, used.accountId, requirement, details.params);
  const context = await loginContext(deps, used.accountId, crossDeviceFacts(device.attestation_fmt));
  // The computer is signed in to Watashi too (the consent step that follows needs a session);
  // the resident sees it on the phone's security page and can end it there.
  await startSession(deps, reply, {
    accountId: used.accountId,
    authenticatorId: device.id,
    acr: context.acr,
    amr: context.amr,
    authTime: now,
    crossDevice: true,
  });
  const decision = decide(requirement, context);
  return provider.interactionResult(
    req.raw,
    reply.raw,
    decision.satisfied && context.aal > 0
      ? {
          login: {
            accountId: used.accountId,
            acr: selectAcr(context, requirement.acrValues) ?? undefined,
            amr: [...context.amr],
            ts: Math.floor(now.getTime() / 1000),
            remember: false,
          },
        }
      : {
          error: 'unmet_authentication_requirements',
          error_description: 'the requested authentication level cannot be met',
        },
    { mergeWithLastSubmission: false },
  );
}

/** The row a phone's token names, if it can still be answered; else the problem that says why. */
async function answerableRow(deps: PlatformDeps, token: string): Promise<Row> {
  const row = await deps.db
    .selectFrom('cross_device_requests')
    .selectAll()
    .where('token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (row === undefined) throw problem('xdevice_not_found', 404, 'no such cross-device sign-in');
  const status = statusOf(row, deps.now());
  if (status === 'expired') throw problem('xdevice_expired', 410, 'this QR code has expired');
  if (status === 'approved' || status === 'used')
    throw problem('xdevice_used', 409, 'this sign-in was already approved');
  if (status === 'refused' || status === 'denied')
    throw problem('xdevice_closed', 410, 'this sign-in was stopped');
  return row;
}

const choicesOf = (row: Row): number[] => row.choices.split(' ').map(Number);
const inputFor = (row: Row, number: number): string =>
  crossDeviceSigningInput({ id: row.id, clientId: row.client_id, number, nonce: row.nonce });

/** What the phone shows for `token` (marks the request scanned, so the computer can say so). */
export async function lookupCrossDevice(
  deps: PlatformDeps,
  req: FastifyRequest,
  token: string,
): Promise<CrossDeviceView> {
  const row = await answerableRow(deps, token);
  const now = deps.now();
  await deps.db
    .updateTable('cross_device_requests')
    .set({ scanned_at: now })
    .where('id', '=', row.id)
    .where('scanned_at', 'is', null)
    .execute();
  const rp = await deps.db
    .selectFrom('relying_parties')
    .select(['name', 'purpose'])
    .where('client_id', '=', row.client_id)
    .executeTakeFirst();
  if (rp === undefined) throw problem('xdevice_not_found', 404, 'the service is no longer registered');
  const here = networkOf(req.ip);
  return {
    id: row.id,
    rp: { name: rp.name, purpose: rp.purpose },
    origin: {
      network: row.origin_network,
      sameNetworkAsThisPhone: here !== null && here === row.origin_network,
      device: describeDevice(row.origin_user_agent),
      startedAt: row.created_at.toISOString(),
    },
    expiresAt: row.expires_at.toISOString(),
    choices: choicesOf(row).map((n) => ({ number: n, signingInput: inputFor(row, n) })),
  };
}

/** Approves with the device key (see the module comment for the order of the checks). */
export async function approveCrossDevice(
  deps: PlatformDeps,
  input: { accountId: string; token: string; number: number; certificate: Uint8Array; signature: Uint8Array },
): Promise<void> {
  const row = await answerableRow(deps, input.token);
  const usable = await usableDevice(deps, input.accountId, input.certificate);
  if (usable === undefined)
    throw problem('xdevice_device_unusable', 403, 'not an active device certificate of yours');
  const message = new TextEncoder().encode(inputFor(row, input.number));
  if (!verifyP256(usable.spki, message, input.signature))
    throw problem('xdevice_signature_invalid', 401, 'the signature is not over this request');
  const now = deps.now();
  const right = input.number === row.number;
  const moved = await deps.database.transaction(async (trx) => {
    const r = await trx
      .updateTable('cross_device_requests')
      .set(
        right
          ? {
              state: 'approved',
              decided_at: now,
              account_id: input.accountId,
              device_serial: usable.device.serial,
            }
          : { state: 'refused', decided_at: now },
      )
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .where('expires_at', '>', now)
      .returning('id')
      .executeTakeFirst();
    if (r === undefined) return false;
    await appendAudit(trx, {
      actor: `account:${input.accountId}`,
      type: right ? 'oidc.cross_device.approved' : 'oidc.cross_device.refused',
      accountId: input.accountId,
      at: now,
      payload: {
        clientId: row.client_id,
        requestId: row.id,
        deviceSerial: usable.device.serial,
        ...(right ? {} : { reason: 'wrong_number' }),
      },
    });
    return true;
  });
  if (!moved) throw problem('xdevice_used', 409, 'this sign-in was already answered');
  if (!right)
    throw problem(
      'xdevice_number_mismatch',
      409,
      'not the number the computer shows; the sign-in was stopped',
    );
}

/** The resident stops the sign-in from the phone. */
export async function denyCrossDevice(deps: PlatformDeps, accountId: string, token: string): Promise<void> {
  const row = await answerableRow(deps, token);
  const now = deps.now();
  const moved = await deps.database.transaction(async (trx) => {
    const r = await trx
      .updateTable('cross_device_requests')
      .set({ state: 'denied', decided_at: now })
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .returning('id')
      .executeTakeFirst();
    if (r === undefined) return false;
    await appendAudit(trx, {
      actor: `account:${accountId}`,
      type: 'oidc.cross_device.denied',
      accountId,
      at: now,
      payload: { clientId: row.client_id, requestId: row.id },
    });
    return true;
  });
  if (!moved) throw problem('xdevice_used', 409, 'this sign-in was already answered');
}

const token = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/)
  .describe('the token the QR carries');
const base64 = z
  .string()
  .min(1)
  .max(16_384)
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/);
const idParams = uidParams.extend({ id: z.uuid() });
const statusView = z.object({
  status: z.enum(['waiting', 'scanned', 'approved', 'refused', 'denied', 'expired', 'used']),
});
const deviceView = z.object({
  browser: z.string().nullable(),
  system: z.string().nullable(),
  kind: z.string().nullable(),
});
const crossDeviceView = z.object({
  id: z.string(),
  rp: z.object({ name: z.string(), purpose: z.string() }),
  origin: z.object({
    network: z.string().nullable(),
    sameNetworkAsThisPhone: z.boolean(),
    device: deviceView,
    startedAt: z.string(),
  }),
  expiresAt: z.string(),
  choices: z
    .array(
      z.object({
        number: z.number().int(),
        signingInput: z.string().describe('the exact UTF-8 bytes the device key signs for this number'),
      }),
    )
    .readonly(),
});

function accountOf(req: FastifyRequest): string {
  if (req.session === null) throw new Error('cross-device: session route without a session');
  return req.session.accountId;
}

/** Registers the computer's and the phone's routes (see the module comment). */
export function registerCrossDeviceRoutes(
  app: FastifyInstance,
  deps: PlatformDeps,
  provider: () => Promise<Provider>,
): void {
  const routes = withSchemas(app);
  const at = `${OIDC_PREFIX}/interaction/:uid/cross-device`;
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');
  routes.post(
    at,
    {
      // Unauthenticated and it writes a row: the stricter per-IP bucket.
      config: { auth: 'public', rateLimit: 'authentication' },
      schema: {
        summary: 'Show a QR for signing in on this computer with the phone’s wallet',
        params: uidParams,
        body: emptyBody,
        response: {
          200: z.object({
            id: z.string(),
            number: z.number().int(),
            qr: z.object({ uri: z.string(), svg: z.string() }),
            expiresAt: z.string(),
          }),
        },
      },
    },
    async (req, reply) => {
      const r = await createCrossDevice(deps, await provider(), req, reply, req.params.uid);
      noStore(reply);
      return r;
    },
  );
  routes.get(
    `${at}/:id`,
    {
      config: { auth: 'public', rateLimit: 'default' },
      schema: {
        summary: 'The computer’s poll: has the phone answered?',
        params: idParams,
        response: { 200: statusView },
      },
    },
    async (req, reply) => {
      noStore(reply);
      return { status: await crossDeviceStatus(deps, req, req.params.uid, req.params.id) };
    },
  );
  routes.post(
    `${at}/:id/complete`,
    {
      config: { auth: 'public', rateLimit: 'authentication' },
      schema: {
        summary: 'Continue the sign-in on this computer after the phone approved (once)',
        params: idParams,
        body: emptyBody,
        response: { 200: z.object({ location: z.string() }) },
      },
    },
    async (req, reply) => {
      const location = await completeCrossDevice(
        deps,
        await provider(),
        req,
        reply,
        req.params.uid,
        req.params.id,
      );
      noStore(reply);
      return { location };
    },
  );

  const session = { auth: 'session' as const, rateLimit: 'authentication' as const };
  routes.post(
    '/api/cross-device/lookup',
    {
      config: session,
      schema: {
        summary: 'What a scanned cross-device QR asks the resident to approve',
        body: z.strictObject({ token }),
        response: { 200: crossDeviceView },
      },
    },
    async (req, reply) => {
      noStore(reply);
      return lookupCrossDevice(deps, req, req.body.token);
    },
  );
  routes.post(
    '/api/cross-device/approve',
    {
      config: session,
      schema: {
        summary: 'Approve a computer’s sign-in with the picked number and the device key',
        body: z.strictObject({
          token,
          number: z.number().int().min(10).max(99),
          certificate: base64.describe('the device certificate, base64 DER'),
          signature: base64.describe('ES256 signature (r ‖ s, 64 bytes) over the signing input, base64'),
        }),
        response: { 200: z.object({ state: z.literal('approved') }) },
      },
    },
    async (req) => {
      await approveCrossDevice(deps, {
        accountId: accountOf(req),
        token: req.body.token,
        number: req.body.number,
        certificate: new Uint8Array(Buffer.from(req.body.certificate, 'base64')),
        signature: new Uint8Array(Buffer.from(req.body.signature, 'base64')),
      });
      return { state: 'approved' as const };
    },
  );
  routes.post(
    '/api/cross-device/deny',
    {
      config: session,
      schema: {
        summary: 'Stop a computer’s sign-in from the phone',
        body: z.strictObject({ token }),
        response: { 200: z.object({ state: z.literal('denied') }) },
      },
    },
    async (req) => {
      await denyCrossDevice(deps, accountOf(req), req.body.token);
      return { state: 'denied' as const };
    },
  );
}
