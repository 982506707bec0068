export * from './name.ts';
export * from './general-name.ts';
export * from './extensions.ts';
export * from './spki.ts';
export * from './build.ts';
export * from './parse.ts';
