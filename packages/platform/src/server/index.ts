/** The platform's HTTP server: app factory, problem documents, sessions, route metadata. */
export * from './context.ts';
export * from './problem.ts';
export * from './sessions.ts';
export { buildServer, allowPublicRoutes, platformLogger, LOG_REDACT_PATHS } from './app.ts';
export type { BuildServerOptions } from './app.ts';
