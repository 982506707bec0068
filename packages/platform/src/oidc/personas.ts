/**
 * Personas (docs/architecture.md §3.3, issue 4): named subsets of the resident's verified attributes and
 * derived claims, kept by the resident and picked on the consent screen.
 *
 * Semantics: an RP receives requested ∩ registered ∩ persona. A persona never adds a claim the
 * RP did not ask for or is not registered for; it only narrows. With no persona (the default
 * "only what this service asks for") the RP receives requested ∩ registered, and `resident_of`
 * is at prefecture granularity. The persona's `residence` decides `resident_of`'s granularity.
 * What a consent released is recorded (table `oidc_consents`) as a snapshot: deleting a persona
 * later does not widen or narrow consents already given (withdraw them instead).
 *
 * Wallet API (session required; RFC 9457 problems):
 * - `GET /api/me/personas` → `{ personas: [{ id, name, claims, residence, createdAt }] }`
 * - `POST /api/me/personas` `{ name, claims, residence? }` → 201 the persona. Codes:
 *   `request_invalid` (shape), `persona_claim_unknown` (a name outside the catalogue),
 *   `persona_name_taken` (409), `persona_limit_reached` (409, at most {@link MAX_PERSONAS}).
 * - `PATCH /api/me/personas/:id` `{ name?, claims?, residence? }` (at least one) → 200 the persona
 *   as changed. Same codes as creation, and `persona_not_found` (404). An edit changes what the
 *   persona releases at the next consent only: consents already given keep their snapshot.
 * - `DELETE /api/me/personas/:id` → 204; `persona_not_found` (404) when not the resident's.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PlatformDeps } from '../server/context.ts';
import { problem } from '../server/problem.ts';
import { noContent, withSchemas } from '../server/schemas.ts';
import { CLAIMS, isWatashiClaim, type ResidenceGranularity, type WatashiClaim } from './claims.ts';

/** Error codes of the persona API. */
export type PersonaErrorCode =
  'persona_claim_unknown' | 'persona_name_taken' | 'persona_limit_reached' | 'persona_not_found';

/** How many personas one account may keep. */
export const MAX_PERSONAS = 8;

/** A persona as the wallet API shows it. */
export interface Persona {
  readonly id: string;
  readonly name: string;
  readonly claims: readonly WatashiClaim[];
  readonly residence: ResidenceGranularity | null;
  readonly createdAt: string;
}

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
const createBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[^\p{Cc}]+$/u, 'no control characters'),
  claims: z.array(z.string().min(1).max(64)).min(1).max(Object.keys(CLAIMS).length),
  residence: z.enum(['prefecture', 'municipality']).optional(),
});
const updateBody = createBody
  .partial()
  .refine((b) => b.name !== undefined || b.claims !== undefined || b.residence !== undefined, {
    message: 'nothing to change',
  });
const idParams = z.strictObject({ id: uuid });
const personaView = z.object({
  id: z.string(),
  name: z.string(),
  claims: z.array(z.string()).readonly(),
  residence: z.enum(['prefecture', 'municipality']).nullable(),
  createdAt: z.string(),
});

/** Catalogue order, duplicates removed. */
function ordered(claims: Iterable<string>): WatashiClaim[] {
  const set = new Set(claims);
  return (Object.keys(CLAIMS) as WatashiClaim[]).filter((c) => set.has(c));
}

function toPersona(row: {
  id: string;
  name: string;
  claims: string[];
  residence: ResidenceGranularity | null;
  created_at: Date;
}): Persona {
  return {
    id: row.id,
    name: row.name,
    claims: ordered(row.claims),
    residence: row.residence,
    createdAt: row.created_at.toISOString(),
  };
}

/** The personas of an account, oldest first. */
export async function listPersonas(deps: PlatformDeps, accountId: string): Promise<Persona[]> {
  const rows = await deps.db
    .selectFrom('personas')
    .select(['id', 'name', 'claims', 'residence', 'created_at'])
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'asc')
    .orderBy('name', 'asc')
    .execute();
  return rows.map(toPersona);
}

/** One persona of an account, or undefined. */
export async function findPersona(
  deps: PlatformDeps,
  accountId: string,
  id: string,
): Promise<Persona | undefined> {
  if (!uuid.safeParse(id).success) return undefined;
  const row = await deps.db
    .selectFrom('personas')
    .select(['id', 'name', 'claims', 'residence', 'created_at'])
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toPersona(row);
}

/** Creates a persona (validated as the API documents). */
export async function createPersona(
  deps: PlatformDeps,
  accountId: string,
  input: { name: string; claims: readonly string[]; residence?: ResidenceGranularity },
): Promise<Persona> {
  const unknown = input.claims.filter((c) => !isWatashiClaim(c));
  if (unknown.length > 0)
    throw problem('persona_claim_unknown', 400, `unknown claims: ${unknown.join(', ')}`, {
      claims: unknown,
    });
  const claims = ordered(input.claims);
  const residence = claims.includes('resident_of') ? (input.residence ?? 'prefecture') : null;
  if (input.residence !== undefined && residence === null)
    throw problem('request_invalid', 400, 'residence applies only to a persona with resident_of');
  try {
    return await deps.database.transaction(async (trx) => {
      // Serialise the per-account count check on the account row.
      await trx.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
      const existing = await trx
        .selectFrom('personas')
        .select('name')
        .where('account_id', '=', accountId)
        .execute();
      if (existing.some((p) => p.name === input.name))
        throw problem('persona_name_taken', 409, 'a persona with this name exists');
      if (existing.length >= MAX_PERSONAS)
        throw problem('persona_limit_reached', 409, `at most ${MAX_PERSONAS} personas`);
      const row = await trx
        .insertInto('personas')
        .values({ account_id: accountId, name: input.name, claims, residence, created_at: deps.now() })
        .returning(['id', 'name', 'claims', 'residence', 'created_at'])
        .executeTakeFirstOrThrow();
      return toPersona(row);
    });
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === '23505')
      throw problem('persona_name_taken', 409, 'a persona with this name exists');
    throw e;
  }
}

/**
 * Changes a persona of an account (validated as creation is); undefined when there is none with
 * that id. `residence` follows the persona's claims: kept (or `prefecture`) while they hold
 * `resident_of`, dropped when they no longer do, refused when given without it.
 */
export async function updatePersona(
  deps: PlatformDeps,
  accountId: string,
  id: string,
  input: { name?: string; claims?: readonly string[]; residence?: ResidenceGranularity },
): Promise<Persona | undefined> {
  if (input.claims !== undefined) {
    const unknown = input.claims.filter((c) => !isWatashiClaim(c));
    if (unknown.length > 0)
      throw problem('persona_claim_unknown', 400, `unknown claims: ${unknown.join(', ')}`, {
        claims: unknown,
      });
  }
  try {
    return await deps.database.transaction(async (trx) => {
      const row = await trx
        .selectFrom('personas')
        .select(['id', 'name', 'claims', 'residence'])
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (row === undefined) return undefined;
      const claims = ordered(input.claims ?? row.claims);
      const residence = claims.includes('resident_of')
        ? (input.residence ?? row.residence ?? 'prefecture')
        : null;
      if (input.residence !== undefined && residence === null)
        throw problem('request_invalid', 400, 'residence applies only to a persona with resident_of');
      const name = input.name ?? row.name;
      if (name !== row.name) {
        const taken = await trx
          .selectFrom('personas')
          .select('id')
          .where('account_id', '=', accountId)
          .where('name', '=', name)
          .where('id', '!=', id)
          .executeTakeFirst();
        if (taken !== undefined) throw problem('persona_name_taken', 409, 'a persona with this name exists');
      }
      const updated = await trx
        .updateTable('personas')
        .set({ name, claims, residence })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .returning(['id', 'name', 'claims', 'residence', 'created_at'])
        .executeTakeFirstOrThrow();
      return toPersona(updated);
    });
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code === '23505')
      throw problem('persona_name_taken', 409, 'a persona with this name exists');
    throw e;
  }
}

/** Deletes a persona of an account; false when there is none with that id. */
export async function deletePersona(deps: PlatformDeps, accountId: string, id: string): Promise<boolean> {
  const r = await deps.db
    .deleteFrom('personas')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** Registers the persona routes of the wallet API. */
export function registerPersonaRoutes(app: FastifyInstance, deps: PlatformDeps): void {
  const routes = withSchemas(app);
  routes.get(
    '/api/me/personas',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'The resident’s personas',
        response: { 200: z.object({ personas: z.array(personaView), max: z.number().int() }) },
      },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      void reply.header('cache-control', 'no-store');
      return { personas: await listPersonas(deps, s.accountId), max: MAX_PERSONAS };
    },
  );

  routes.post(
    '/api/me/personas',
    {
      config: { auth: 'session' },
      schema: { summary: 'Create a persona', body: createBody, response: { 201: personaView } },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      const body = req.body;
      const persona = await createPersona(deps, s.accountId, {
        name: body.name,
        claims: body.claims,
        ...(body.residence === undefined ? {} : { residence: body.residence }),
      });
      return reply.code(201).header('cache-control', 'no-store').send(persona);
    },
  );

  routes.patch(
    '/api/me/personas/:id',
    {
      config: { auth: 'session' },
      schema: {
        summary: 'Change a persona',
        params: idParams,
        body: updateBody,
        response: { 200: personaView },
      },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      const { id } = req.params;
      const body = req.body;
      const persona = await updatePersona(deps, s.accountId, id, {
        ...(body.name === undefined ? {} : { name: body.name }),
        ...(body.claims === undefined ? {} : { claims: body.claims }),
        ...(body.residence === undefined ? {} : { residence: body.residence }),
      });
      if (persona === undefined) throw problem('persona_not_found', 404, 'no such persona');
      return reply.header('cache-control', 'no-store').send(persona);
    },
  );

  routes.delete(
    '/api/me/personas/:id',
    {
      config: { auth: 'session' },
      schema: { summary: 'Delete a persona', params: idParams, response: { 204: noContent } },
    },
    async (req, reply) => {
      const s = req.session;
      if (s === null) throw problem('session_required', 401, 'sign in first');
      const { id } = req.params;
      if (!(await deletePersona(deps, s.accountId, id)))
        throw problem('persona_not_found', 404, 'no such persona');
      return reply.code(204).send();
    },
  );
}
