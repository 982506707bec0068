/** Background jobs shared by the platform's instances (docs/architecture.md §3.4): the port and its two queues. */
export { MemoryJobQueue } from './job-queue.ts';
export type {
  DrainOptions,
  DrainResult,
  EnqueueOptions,
  Job,
  JobContext,
  JobHandler,
  JobQueue,
  QueueCounts,
} from './job-queue.ts';
export { jobIdOf, PgBossJobQueue, type PgBossJobQueueOptions } from './pgboss-job-queue.ts';
