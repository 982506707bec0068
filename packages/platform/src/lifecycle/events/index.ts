/** Lifecycle events to relying parties and notices to the resident (issue 5). */
export {
  listDeliveries,
  listNotices,
  retryDelivery,
  type DeliveryView,
  type EventsErrorCode,
  type NoticeView,
} from './admin.ts';
export {
  EventDeliverer,
  scheduleEventDelivery,
  signJwt,
  webhookSignature,
  type DeliveryDeps,
  type DeliveryOptions,
  type DeliveryRound,
} from './deliver.ts';
export {
  BACKCHANNEL_LOGOUT_EVENT,
  CAEP,
  eventFor,
  factsFromAudit,
  recordLifecycleFacts,
  RISC,
  type LifecycleFact,
  type OutboxResult,
} from './outbox.ts';
export { registerEventRoutes } from './routes.ts';
export { isForbiddenAddress, productionTargetRefusal } from './target-guard.ts';
