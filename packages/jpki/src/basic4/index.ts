/** Basic 4 information (基本4情報) of JPKI signing certificates (docs/jpki.md §1.4). */
export * from './era.ts';
export * from './prefectures.ts';
export * from './substitute.ts';
export * from './basic4.ts';
export * from './san.ts';
export * from './repertoire.ts';
