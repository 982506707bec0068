/** The platform's HTTP server: app factory, problem documents, sessions, route metadata. */
export * from './context.ts';
export * from './problem.ts';
export * from './sessions.ts';
export { buildServer, allowPublicRoutes, platformLogger, LOG_REDACT_PATHS } from './app.ts';
export type { BuildServerOptions } from './app.ts';
export { registerOperationsRoutes, readiness } from './health.ts';
export type { Readiness, ReadinessCheck, OperationsState } from './health.ts';
export { PlatformMetrics } from './metrics.ts';
export type { RecordedJlisQuery } from './metrics.ts';
export { currentRequestId, runInRequest } from './request-context.ts';
export type { RequestContext } from './request-context.ts';
