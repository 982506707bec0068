/**
 * Endpoints as short pipelines of named steps (the shape node-oidc-provider gives its endpoints: a
 * list of small middlewares over one context). A step names what it does beyond computing, so the
 * order rule of trust code — possession is proven before anything costs money or changes state
 * (docs/conventions.md §5) — can be read off the list and checked by a test
 * ({@link firstCostBeforePossession}), not only followed by convention.
 */

/**
 * What a step does beyond computing:
 * - `pure`: nothing outside its arguments;
 * - `reads`: reads our database, changes nothing;
 * - `proves-possession`: verifies a signature by the subject's key over a document we issued;
 * - `billed`: asks J-LIS (each query is billed, docs/jpki.md §2.2) or another outside party;
 * - `writes`: changes our database.
 */
export type StepEffect = 'pure' | 'reads' | 'proves-possession' | 'billed' | 'writes';

/** One named step over a pipeline's state `S`; `'done'` ends the pipeline early (a recorded answer). */
export interface Step<S> {
  readonly name: string;
  readonly effect: StepEffect;
  readonly run: (state: S) => Promise<void | 'done'> | void | 'done';
}

/** Builds a {@link Step} (for readable step tables). */
export function step<S>(name: string, effect: StepEffect, run: Step<S>['run']): Step<S> {
  return { name, effect, run };
}

/** Runs the steps in order over `state` until one returns `'done'` or all have run. */
export async function runSteps<S>(steps: ReadonlyArray<Step<S>>, state: S): Promise<S> {
  for (const s of steps) if ((await s.run(state)) === 'done') break;
  return state;
}

/**
 * The order rule on a step list: the name of the first `billed` or `writes` step that comes before
 * any `proves-possession` step, or undefined when the list keeps the rule.
 */
export function firstCostBeforePossession(
  steps: ReadonlyArray<Pick<Step<never>, 'name' | 'effect'>>,
): string | undefined {
  for (const s of steps) {
    if (s.effect === 'proves-possession') return undefined;
    if (s.effect === 'billed' || s.effect === 'writes') return s.name;
  }
  return undefined;
}
