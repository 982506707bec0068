export * from './store/index.ts';
export * from './assurance/index.ts';
export * from './enrolment/index.ts';
export * from './config.ts';
export * from './keys/index.ts';
export * from './server/index.ts';
export * from './platform.ts';
export * from './lifecycle/index.ts';
