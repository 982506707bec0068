/** zod schemas of the HTTP API (requests and responses). Responses strip undeclared fields. */
import { z } from 'zod';
import { EVENT_TYPES } from '../events.ts';

const id = z.string().regex(/^[a-z]{1,3}-[a-z0-9]{4,40}$/);
const b64 = z
  .string()
  .regex(/^[A-Za-z0-9+/=_-]*$/)
  .max(1_000_000);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** Path parameter `{id}`. */
export const idParams = z.strictObject({ id });
/** Path parameters of CA / CRL downloads. */
export const fileParams = z.strictObject({ purpose: z.enum(['sign', 'auth']), file: z.string().max(40) });
/** Query of metered downloads. */
export const purposeQuery = z.strictObject({ purpose: z.string().max(40).optional() });

/** `POST /residents`. */
export const addResidentBody = z
  .strictObject({
    name: z.string().min(1).max(100).optional(),
    nameKana: z.string().min(1).max(100).optional(),
    address: z.string().min(1).max(200).optional(),
    birthDate: date.optional(),
    sex: z.enum(['1', '2', '3']).optional(),
  })
  .default({});

/** `POST /residents/{id}/cards`. */
export const issueCardBody = z
  .strictObject({
    signPin: z.string().max(16).optional(),
    authPin: z.string().max(4).optional(),
    smartphone: z.enum(['android', 'ios']).optional(),
    generation: z.string().max(16).optional(),
  })
  .default({});

/** `POST /residents/{id}/devices`. */
export const issueDeviceBody = z.strictObject({
  kind: z.enum(['android', 'ios']),
  signPin: z.string().max(16).optional(),
  authPin: z.string().max(4).optional(),
  replace: z.boolean().optional(),
});

/** `POST /residents/{id}/events`. */
export const eventBody = z.strictObject({
  type: z.enum(EVENT_TYPES),
  address: z.string().min(1).max(200).optional(),
  name: z.string().min(1).max(100).optional(),
  reissue: z.boolean().optional(),
});

/** `POST /cards/{id}/export`. */
export const exportBody = z.strictObject({ signPin: z.string().max(16).optional() }).default({});

/** `POST /cards/{id}/sign`: content as base64 or as UTF-8 text. */
export const signBody = z
  .strictObject({
    pin: z.string().min(1).max(16),
    content: b64.optional(),
    text: z.string().max(100_000).optional(),
    detached: z.boolean().default(false),
    key: z.enum(['sign', 'auth']).default('sign'),
  })
  .refine(
    (b) => (b.content === undefined) !== (b.text === undefined),
    'give exactly one of content (base64) or text',
  );

/** `{cms: base64}` bodies (consent, withdrawal, device revocation with the card). */
export const cmsBody = z.strictObject({ cms: b64.min(1) });
/** `POST /devices/{id}/revoke`. */
export const deviceRevokeBody = z.strictObject({ authPin: z.string().max(4) });
/** `POST /basic4/latest`. */
export const latestBody = z.strictObject({
  serial: z.string().regex(/^\d{1,40}$/),
  consentId: z.string().max(64).optional(),
});
/** `GET /fees`. */
export const feesQuery = z.strictObject({
  month: z
    .string()
    .regex(/^\d{4}-\d{2}$/)
    .optional(),
  operator: z.string().max(64).optional(),
});

const certView = z.object({
  serial: z.string(),
  purpose: z.enum(['sign', 'auth']),
  generation: z.string(),
  variant: z.enum(['card', 'smartphone']),
  tokenId: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  status: z.enum(['good', 'revoked', 'hold']),
  reason: z.string().optional(),
  revokedAt: z.string().optional(),
  supersededBy: z.string().optional(),
});

const tokenView = z.object({
  id: z.string(),
  kind: z.enum(['card', 'android', 'ios']),
  status: z.enum(['active', 'lost', 'revoked', 'wiped']),
  issuedAt: z.string(),
  expiresAt: z.string(),
  signSerial: z.string().optional(),
  authSerial: z.string().optional(),
});

/** `GET /cards`: the hosted tokens, for a wallet page to offer (holder names are synthetic). */
export const hostedCardList = z.object({
  cards: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['card', 'android', 'ios']),
      status: z.enum(['active', 'lost', 'revoked', 'wiped']),
      holder: z.string(),
      signing: z.boolean().describe('A signing certificate is on the token (none under 15).'),
      expiresAt: z.string(),
    }),
  ),
});

/** A resident with tokens and certificates. */
export const residentView = z.object({
  id: z.string(),
  name: z.string(),
  nameKana: z.string().optional(),
  address: z.string(),
  birthDate: z.string(),
  sex: z.enum(['1', '2', '3']),
  status: z.enum(['resident', 'deceased', 'emigrated']),
  createdAt: z.string(),
  updatedAt: z.string(),
  tokens: z.array(tokenView),
  certificates: z.array(certView),
});

/** Result of an issuance (the PINs are shown once). */
export const issuedToken = z.object({
  tokenId: z.string(),
  kind: z.enum(['card', 'android', 'ios']),
  signSerial: z.string().optional(),
  authSerial: z.string(),
  signPin: z.string().optional(),
  authPin: z.string(),
  expiresAt: z.string(),
  generation: z.string(),
});

/** `POST /residents/{id}/cards` response. */
export const issueCardResponse = z.object({ card: issuedToken, device: issuedToken.optional() });

/** A logged event. */
export const eventView = z.object({
  id: z.string(),
  residentId: z.string(),
  type: z.string(),
  at: z.string(),
  effects: z.array(z.object({ serial: z.string(), purpose: z.enum(['sign', 'auth']), effect: z.string() })),
});

/** A consent (without the CMS). */
export const consentView = z.object({
  id: z.string(),
  operatorId: z.string(),
  service: z.string(),
  items: z.array(z.string()),
  signedBySerial: z.string(),
  recordedAt: z.string(),
  validFrom: z.string(),
  validUntil: z.string(),
  status: z.enum(['active', 'withdrawn']),
  withdrawnAt: z.string().optional(),
});

/** `POST /basic4/latest` response. */
export const latestResponse = z.object({
  status: z.enum(['not_revoked', 'no_new_certificate', 'provided']),
  newSerial: z.string().optional(),
  generation: z.string().optional(),
  items: z.array(z.string()).optional(),
  basic4: z
    .object({
      name: z.string().optional(),
      nameSubstitute: z.string().optional(),
      dateOfBirth: z.object({ era: z.number(), date: z.string() }).optional(),
      sex: z.string().optional(),
      address: z.string().optional(),
      addressSubstitute: z.string().optional(),
    })
    .optional(),
});

/** Card export response (base64 DER). */
export const exportResponse = z.object({
  authCertificate: z.string(),
  authCaCertificate: z.string(),
  signCaCertificate: z.string().optional(),
  signCertificate: z.string().optional(),
});

/** Fee report. */
export const feesResponse = z.object({
  rows: z.array(
    z.object({
      operatorId: z.string(),
      month: z.string(),
      purpose: z.string(),
      item: z.string(),
      count: z.number(),
      yen: z.number(),
    }),
  ),
  totals: z.object({ count: z.number(), yen: z.number() }),
});

/** `/info`. */
export const infoResponse = z.object({
  simulator: z.literal(true),
  organization: z.literal('JPKI-SIM'),
  baseUrl: z.string(),
  ocspUrl: z.string(),
  ocspRefreshSeconds: z.number(),
  ocspRefreshedAt: z.string(),
  crlIntervalSeconds: z.number(),
  operatorIdentification: z.string(),
  crls: z.array(
    z.object({
      purpose: z.enum(['sign', 'auth']),
      generation: z.string(),
      url: z.string(),
      crlNumber: z.string().optional(),
      thisUpdate: z.string().optional(),
      nextUpdate: z.string().optional(),
    }),
  ),
  caCertificates: z.array(
    z.object({
      purpose: z.enum(['sign', 'auth']),
      generation: z.string(),
      url: z.string(),
      sha256: z.string(),
      serial: z.string(),
      notBefore: z.string(),
      notAfter: z.string(),
    }),
  ),
});

/** A certificate with its CA-side status. */
export const certificateResponse = certView.extend({ der: z.string() });
/** Generic small JSON results. */
export const anyObject = z.record(z.string(), z.unknown());
