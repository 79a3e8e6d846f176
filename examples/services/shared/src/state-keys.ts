/** The data service's keys in the fleet's StateStore (under the fleet's prefix). */
export const keys = {
  /** Replay progress: `nextIndex` (steps published), `done` ('1' once the replay finished). */
  dataProgress: 'data-progress',
} as const;
