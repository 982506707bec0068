/** Enrolment (docs/architecture.md §3.1): the document to sign, signature verification, account creation. */
export * from './errors.ts';
export * from './document.ts';
export * from './person-key.ts';
export * from './verify-enrolment-signature.ts';
export { issueEnrolment, completeEnrolment } from './enrolment.ts';
export { openBasic4 } from './seal-basic4.ts';
export type {
  EnrolmentDeps,
  IssuedEnrolment,
  CompleteEnrolmentInput,
  CompletedEnrolment,
} from './enrolment.ts';
export { registerEnrolmentRoutes, signatureOf } from './routes.ts';
