/** The source of "now". Services take one so that tests can move time across day and month boundaries. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
