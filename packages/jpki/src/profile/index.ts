/** JPKI certificate profiles (docs/jpki.md §1): data, builders, validity, classification. */
export * from './names.ts';
export * from './profiles.ts';
export * from './validity.ts';
export * from './build.ts';
export * from './ca.ts';
export * from './end-entity.ts';
export * from './classify.ts';
