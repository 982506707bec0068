/**
 * What `watashi sim` is, in the help. Kept apart from sim.ts so that main.ts can list the command
 * without loading the simulator (sim.ts imports `@watashi/jlis-sim`).
 */
export const SIM_SUMMARY =
  'The J-LIS simulator (development and test only): run it, and drive it over HTTP (--sim URL).';
