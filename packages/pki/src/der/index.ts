export * from './reader.ts';
export * from './writer.ts';
export * from './oid.ts';
export * from './time.ts';
export * from './hex.ts';
