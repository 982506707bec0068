/**
 * The simulator's HTTP routes. Stable URLs (documented in /info and /openapi.json):
 * - operator-facing (what a platform operator reaches at J-LIS): `/ca/{purpose}/{generation}.cer`,
 *   `/crl/{purpose}/{generation}.crl`, `/ocsp` (POST and GET, RFC 6960 Appendix A), latest basic 4
 *   (`/basic4/latest`) and consents (`/consents`);
 * - hosted cards (what an NFC reader would do): `/cards`, `/cards/{id}/apdu`, `/cards/{id}/session`,
 *   `/devices/{id}/start`, `/devices/{id}/revoke`, `/devices/revoke-with-card`; these (and only
 *   these) answer the browser origins of the `cardOrigins` configuration (cors.ts);
 * - admin (the CLI): `/residents…`, `/cards/{id}/export|sign|pins`, `/admin/crl/publish`,
 *   `/admin/ocsp/refresh`, `/fees`, `/certificates/{serial}`.
 * Operators are identified by `X-Operator-Id` or the basic-auth user name (fees.ts); the check
 * purpose by `X-Check-Purpose` or `?purpose=`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fromBase64, fromHex, toBase64, toHex } from '@watashi/pki';
import { z } from 'zod';
import { simError } from '../errors.ts';
import { checkOperatorId, checkPurpose } from '../fees.ts';
import type { Simulator } from '../simulator.ts';
import { route, type AnyRoute } from './route.ts';
import * as S from './schemas.ts';

/** The operator of a request: `X-Operator-Id`, else the basic-auth user name, else `anonymous`. */
export function operatorOf(req: FastifyRequest): string {
  const h = req.headers['x-operator-id'];
  if (typeof h === 'string' && h !== '') return checkOperatorId(h);
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^basic /i.test(auth)) {
    const user = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8').split(':')[0];
    return checkOperatorId(user);
  }
  return 'anonymous';
}

/** The check purpose: `X-Check-Purpose` header or `purpose` query parameter. */
function purposeOf(req: FastifyRequest, query?: string): string {
  const h = req.headers['x-check-purpose'];
  return checkPurpose(typeof h === 'string' ? h : query);
}

function generationFrom(file: string, ext: string): string {
  if (!file.endsWith(ext)) throw simError('request_invalid', `expected a ${ext} file name`);
  return file.slice(0, -ext.length);
}

const bytesOf = (body: unknown): Uint8Array => {
  if (Buffer.isBuffer(body)) return new Uint8Array(body);
  throw simError('request_invalid', 'expected a binary body');
};

/** Registers every route of `sim` on `app`; returns the registry (for OpenAPI). */
export function registerRoutes(app: FastifyInstance, sim: Simulator, openapi: () => unknown): AnyRoute[] {
  const reg: AnyRoute[] = [];

  // --- meta ---------------------------------------------------------------------------------
  route(app, reg, {
    method: 'GET',
    url: '/info',
    tag: 'meta',
    summary: 'Where everything is: OCSP URL, CRL URLs, CA certificates with SHA-256.',
    response: S.infoResponse,
    handler: () => sim.info(),
  });
  route(app, reg, {
    method: 'GET',
    url: '/openapi.json',
    tag: 'meta',
    summary: 'This API as OpenAPI 3.1.',
    response: S.anyObject,
    handler: () => openapi(),
  });

  // --- operator-facing ----------------------------------------------------------------------
  route(app, reg, {
    method: 'GET',
    url: '/ca/:purpose/:file',
    openapiPath: '/ca/{purpose}/{generation}.cer',
    tag: 'operator',
    summary: 'A CA certificate (DER).',
    params: S.fileParams,
    response: { binary: 'application/pkix-cert' },
    handler: ({ params }) => sim.caCertificate(params.purpose, generationFrom(params.file, '.cer')),
  });
  route(app, reg, {
    method: 'GET',
    url: '/crl/:purpose/:file',
    openapiPath: '/crl/{purpose}/{generation}.crl',
    tag: 'operator',
    summary: 'The last published full CRL of a CA generation (DER). Counted (free) in the fee meter.',
    params: S.fileParams,
    query: S.purposeQuery,
    response: { binary: 'application/pkix-crl' },
    handler: ({ params, query, req }) =>
      sim.crl(
        params.purpose,
        generationFrom(params.file, '.crl'),
        operatorOf(req),
        purposeOf(req, query.purpose),
      ),
  });
  route(app, reg, {
    method: 'POST',
    url: '/ocsp',
    tag: 'operator',
    summary: 'RFC 6960 OCSP (POST, application/ocsp-request). Metered per item for the operator.',
    query: S.purposeQuery,
    requestBinary: ['application/ocsp-request'],
    response: { binary: 'application/ocsp-response' },
    handler: async ({ req, reply, query }) => {
      const a = await sim.ocspRespond(bytesOf(req.body), operatorOf(req), purposeOf(req, query.purpose));
      return reply.code(200).type('application/ocsp-response').send(Buffer.from(a.der));
    },
  });
  route(app, reg, {
    method: 'GET',
    url: '/ocsp/*',
    openapiPath: '/ocsp/{request}',
    tag: 'operator',
    summary:
      'RFC 6960 Appendix A.1 GET: the URL-encoded base64 of the DER OCSPRequest. Cacheable until nextUpdate.',
    query: S.purposeQuery,
    response: { binary: 'application/ocsp-response' },
    handler: async ({ req, reply, query }) => {
      const raw = (req.params as Record<string, string>)['*'] ?? '';
      let der: Uint8Array;
      try {
        der = fromBase64(decodeURIComponent(raw).replace(/-/g, '+').replace(/_/g, '/'));
      } catch {
        der = new Uint8Array(0); // undecodable → malformedRequest from the responder
      }
      const a = await sim.ocspRespond(der, operatorOf(req), purposeOf(req, query.purpose));
      if (a.maxAgeSeconds > 0) {
        // RFC 5019 §6.2: cacheable until nextUpdate.
        reply.header('cache-control', `max-age=${a.maxAgeSeconds}, public, no-transform, must-revalidate`);
      }
      return reply.code(200).type('application/ocsp-response').send(Buffer.from(a.der));
    },
  });
  route(app, reg, {
    method: 'POST',
    url: '/basic4/latest',
    tag: 'operator',
    summary:
      'Latest basic 4 information by a revoked signing certificate serial (needs consent; ¥20 when provided).',
    body: S.latestBody,
    response: S.latestResponse,
    handler: ({ body, req }) => sim.latestBasic4(operatorOf(req), body),
  });
  route(app, reg, {
    method: 'POST',
    url: '/consents',
    tag: 'operator',
    summary: 'Records a consent: CMS signed with a live signing certificate over the consent document.',
    body: S.cmsBody,
    status: 201,
    response: S.consentView,
    handler: ({ body, req }) => sim.recordConsent(operatorOf(req), fromBase64(body.cms)),
  });
  route(app, reg, {
    method: 'GET',
    url: '/consents/:id',
    tag: 'operator',
    summary: 'Inquires a consent (only its operator sees it).',
    params: S.idParams,
    response: S.consentView,
    handler: ({ params, req }) => sim.consent(operatorOf(req), params.id),
  });
  route(app, reg, {
    method: 'POST',
    url: '/consents/:id/withdraw',
    tag: 'operator',
    summary: 'Withdraws a consent: CMS signed by the same resident over the withdrawal document.',
    params: S.idParams,
    body: S.cmsBody,
    response: S.consentView,
    handler: ({ params, body, req }) => sim.withdrawConsent(operatorOf(req), params.id, fromBase64(body.cms)),
  });

  // --- hosted cards ---------------------------------------------------------------------------
  route(app, reg, {
    method: 'GET',
    url: '/cards',
    tag: 'cards',
    hostedCard: true,
    summary:
      'The hosted cards and smartphones "in the reader": id, kind, status, holder (synthetic) and whether a signing certificate is on it.',
    response: S.hostedCardList,
    handler: () => ({
      cards: sim.listResidents().flatMap((r) =>
        r.tokens.map((t) => ({
          id: t.id,
          kind: t.kind,
          status: t.status,
          holder: r.name,
          signing: t.signSerial !== undefined,
          expiresAt: t.expiresAt,
        })),
      ),
    }),
  });
  route(app, reg, {
    method: 'POST',
    url: '/cards/:id/apdu',
    tag: 'cards',
    hostedCard: true,
    summary:
      'Sends one C-APDU (application/octet-stream, or JSON {apdu: hex}); returns the R-APDU in the same form.',
    params: S.idParams,
    requestBinary: ['application/octet-stream'],
    response: { binary: 'application/octet-stream' },
    handler: async ({ params, req, reply }) => {
      const json = !Buffer.isBuffer(req.body);
      let capdu: Uint8Array;
      if (json) {
        const b = z
          .strictObject({
            apdu: z
              .string()
              .regex(/^([0-9a-fA-F]{2})+$/)
              .max(1024),
          })
          .safeParse(req.body);
        if (!b.success) throw simError('request_invalid', 'expected {apdu: hex}');
        capdu = fromHex(b.data.apdu);
      } else {
        capdu = bytesOf(req.body);
      }
      const r = await sim.cardOp((c) => c.apdu(params.id, capdu));
      return json
        ? reply.send({ rapdu: toHex(r) })
        : reply.type('application/octet-stream').send(Buffer.from(r));
    },
  });
  route(app, reg, {
    method: 'POST',
    url: '/cards/:id/session',
    tag: 'cards',
    hostedCard: true,
    summary: 'Begins a reader session (the card enters the field; security status reset).',
    params: S.idParams,
    response: S.anyObject,
    handler: ({ params }) => sim.cardOp((c) => (c.beginSession(params.id), { session: 'begun' })),
  });
  route(app, reg, {
    method: 'DELETE',
    url: '/cards/:id/session',
    tag: 'cards',
    hostedCard: true,
    summary: 'Ends the reader session (the card leaves the field; security status reset).',
    params: S.idParams,
    response: S.anyObject,
    handler: ({ params }) => sim.cardOp((c) => (c.endSession(params.id), { session: 'ended' })),
  });
  route(app, reg, {
    method: 'POST',
    url: '/devices/:id/start',
    tag: 'cards',
    hostedCard: true,
    summary: 'A hosted smartphone starts or polls: it erases its keys if its certificates were revoked.',
    params: S.idParams,
    response: S.anyObject,
    handler: ({ params }) => sim.cardOp((c) => c.startDevice(params.id)),
  });
  route(app, reg, {
    method: 'POST',
    url: '/devices/:id/revoke',
    tag: 'cards',
    hostedCard: true,
    summary:
      'Revocation from the phone alone (hand-over): proves possession with the auth PIN; the phone erases its keys.',
    params: S.idParams,
    body: S.deviceRevokeBody,
    response: S.anyObject,
    handler: ({ params, body }) => sim.cardOp((c) => c.revokeFromDevice(params.id, body.authPin)),
  });
  route(app, reg, {
    method: 'POST',
    url: '/devices/revoke-with-card',
    tag: 'cards',
    hostedCard: true,
    summary:
      'Revocation of a lost phone with the card: {type:"jlis-sim/device-revocation", deviceId, date} CMS-signed with the card signing key.',
    body: S.cmsBody,
    response: S.anyObject,
    handler: ({ body }) => sim.cardOp((c) => c.revokeWithCard(fromBase64(body.cms))),
  });

  // --- admin ----------------------------------------------------------------------------------
  route(app, reg, {
    method: 'POST',
    url: '/residents',
    tag: 'admin',
    summary: 'Adds a resident; omitted fields are generated (seeded).',
    body: S.addResidentBody,
    status: 201,
    response: S.residentView,
    handler: ({ body }) => sim.addResident(stripUndefined(body)),
  });
  route(app, reg, {
    method: 'GET',
    url: '/residents',
    tag: 'admin',
    summary: 'Lists residents.',
    response: z.array(S.residentView),
    handler: () => sim.listResidents(),
  });
  route(app, reg, {
    method: 'GET',
    url: '/residents/:id',
    tag: 'admin',
    summary: 'Shows a resident.',
    params: S.idParams,
    response: S.residentView,
    handler: ({ params }) => sim.resident(params.id),
  });
  route(app, reg, {
    method: 'POST',
    url: '/residents/:id/cards',
    tag: 'admin',
    summary:
      'Issues a card (both certificates and keys; no signing certificate under 15). PINs generated when omitted.',
    params: S.idParams,
    body: S.issueCardBody,
    status: 201,
    response: S.issueCardResponse,
    handler: ({ params, body }) => sim.issueCard(params.id, body),
  });
  route(app, reg, {
    method: 'POST',
    url: '/residents/:id/devices',
    tag: 'admin',
    summary: 'Sets up a smartphone (refused while one is live unless replace: true — device change).',
    params: S.idParams,
    body: S.issueDeviceBody,
    status: 201,
    response: S.issuedToken,
    handler: ({ params, body }) => sim.issueDevice(params.id, body),
  });
  route(app, reg, {
    method: 'POST',
    url: '/residents/:id/events',
    tag: 'admin',
    summary: 'Applies a life event: move, marriage, renew, lose, found, revoke-lost, death, emigrate.',
    params: S.idParams,
    body: S.eventBody,
    status: 201,
    response: S.eventView,
    handler: ({ params, body }) => sim.lifeEvent(params.id, body),
  });
  route(app, reg, {
    method: 'GET',
    url: '/residents/:id/events',
    tag: 'admin',
    summary: 'The event log of a resident.',
    params: S.idParams,
    response: z.array(S.eventView),
    handler: ({ params }) => (sim.resident(params.id), sim.events(params.id)),
  });
  route(app, reg, {
    method: 'POST',
    url: '/admin/crl/publish',
    tag: 'admin',
    summary: 'Publishes a CRL for every CA now.',
    response: z.object({ published: z.array(S.anyObject) }),
    handler: async () => ({ published: await sim.publishCrls() }),
  });
  route(app, reg, {
    method: 'POST',
    url: '/admin/ocsp/refresh',
    tag: 'admin',
    summary: 'Refreshes the OCSP status snapshot now.',
    response: S.anyObject,
    handler: () => sim.refreshOcsp(),
  });
  route(app, reg, {
    method: 'POST',
    url: '/cards/:id/export',
    tag: 'admin',
    summary:
      'Exports certificates from a card (the signing certificate only with the correct signing PIN, as on the card).',
    params: S.idParams,
    body: S.exportBody,
    response: S.exportResponse,
    handler: ({ params, body }) => sim.cardOp((c) => c.exportCard(params.id, body.signPin)),
  });
  route(app, reg, {
    method: 'POST',
    url: '/cards/:id/sign',
    tag: 'admin',
    summary: 'Signs content with a card key as CMS SignedData (base64).',
    params: S.idParams,
    body: S.signBody,
    response: z.object({ cms: z.string() }),
    handler: async ({ params, body }) => {
      const content =
        body.text !== undefined ? new TextEncoder().encode(body.text) : fromBase64(body.content ?? '');
      const cms = await sim.cardOp((c) =>
        c.sign(params.id, { pin: body.pin, content, detached: body.detached, key: body.key }),
      );
      return { cms: toBase64(cms) };
    },
  });
  route(app, reg, {
    method: 'GET',
    url: '/cards/:id/pins',
    tag: 'admin',
    summary: 'Remaining PIN tries.',
    params: S.idParams,
    response: S.anyObject,
    handler: ({ params }) => sim.cardOp((c) => c.pinStatus(params.id)),
  });
  route(app, reg, {
    method: 'GET',
    url: '/certificates/:serial',
    tag: 'admin',
    summary: 'A certificate issued by the simulator, with its current CA-side status (base64 DER).',
    params: z.strictObject({ serial: z.string().regex(/^\d{1,40}$/) }),
    response: S.certificateResponse,
    handler: ({ params }) => {
      const c = sim.certificate(params.serial);
      return { ...c.view, der: toBase64(c.der) };
    },
  });
  route(app, reg, {
    method: 'GET',
    url: '/fees',
    tag: 'admin',
    summary: 'Fee report per operator, month (JST) and purpose.',
    query: S.feesQuery,
    response: S.feesResponse,
    handler: ({ query }) => sim.fees({ month: query.month, operatorId: query.operator }),
  });
  return reg;
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
