/** The JPKI trust store: real J-LIS roots, simulator roots and test roots, never mixed (reference/jpki.md §2.1, §6.1). */
export * from './jlis-roots.ts';
export * from './store.ts';
