/** The one clock: injectable so tests move time instead of sleeping. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Nest injection token for the Clock. */
export const CLOCK = Symbol('CLOCK');
