/**
 * The assurance engine (docs/architecture.md §3.2, §6): the published table of levels and their NIST / eIDAS
 * equivalents, the evaluation of identity proofing, authenticators, federation and whole logins,
 * and the policy decisions behind OIDC `acr` enforcement and RFC 9470 step-up. Pure: no I/O.
 */
export * from './reasons.ts';
export * from './table.ts';
export * from './evaluate.ts';
export * from './policy.ts';
