/** The key of a partition in the data path's maps: `<topic>-<partition>`, as its log directory. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
