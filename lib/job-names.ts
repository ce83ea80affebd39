/**
 * The names of the stack's scheduled state machines, known before either is built: the compaction and
 * the erase pass each check that the other is not running (lib/curated-compaction.ts,
 * lib/user-erasure.ts), and a name, unlike a reference, makes no dependency between them.
 */
export const compactionStateMachineName = (stackName: string) => `${stackName}-curated-compaction`;
export const erasureStateMachineName = (stackName: string) => `${stackName}-user-erasure`;
/** The erase pass's VACUUM, hours after the pass: its own state machine, which the compaction does not wait for. */
export const erasureVacuumStateMachineName = (stackName: string) => `${stackName}-erasure-vacuum`;

/**
 * The minute of every hour each job starts: half an hour apart, so an hourly compaction and an hourly
 * erase pass deployed together do not start at the same moment (each also checks that the other is not
 * running). A compaction run usually ends well within 30 minutes; the check covers one that does not.
 */
export const HOURLY_START_MINUTE = { compaction: 5, erasure: 35 } as const;
