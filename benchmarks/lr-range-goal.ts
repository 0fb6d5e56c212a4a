/** The goal for one suggestion, in one place for every LR range test benchmark. */

/** The suggestion's LR within this factor of the grid-best LR... */
export const GOAL_LR_FACTOR = 1.5;
/** ...and its validation loss at most this multiple of the grid-best's. */
export const GOAL_LOSS_RATIO = 1.05;

/** `ratio` (suggestion / grid-best LR) within `factor` either way. */
export const lrWithin = (ratio: number, factor: number) => ratio <= factor && ratio >= 1 / factor;

export const lossWithin = (lossRatio: number) => lossRatio <= GOAL_LOSS_RATIO;

export const meetsGoal = (ratio: number, lossRatio: number) => lrWithin(ratio, GOAL_LR_FACTOR) && lossWithin(lossRatio);
