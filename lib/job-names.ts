/**
 * The names of the stack's scheduled state machines, known before either is built: the compaction and
 * the erase pass each check that the other is not running (lib/curated-compaction.ts,
 * lib/user-erasure.ts), and a name, unlike a reference, makes no dependency between them.
 */
export const compactionStateMachineName = (stackName: string) => `${stackName}-curated-compaction`;
export const erasureStateMachineName = (stackName: string) => `${stackName}-user-erasure`;
