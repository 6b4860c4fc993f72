/** The protocol type of consumer groups (@eddy/client's consumer protocol). */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The topics a consumer subscribes to, read from its JoinGroup metadata. The coordinator treats
 * member metadata as opaque bytes; it peeks into them only to decide which groups a metadata
 * change concerns (a partition count changed, offsets about to be deleted). The consumer
 * protocol is versioned JSON whose `topics` field every version keeps (see @eddy/client's
 * consumer-protocol.ts); anything else is undefined: "unknown, assume every topic".
 */
export function subscribedTopics(protocolType: string | null, metadata: Uint8Array): readonly string[] | undefined {
  if (protocolType !== CONSUMER_PROTOCOL_TYPE) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(metadata));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const topics = (json as Record<string, unknown>)['topics'];
  if (!Array.isArray(topics) || !topics.every((topic): topic is string => typeof topic === 'string')) return undefined;
  return topics;
}

/**
 * Whether any member of a group (given by its protocol type and members' metadata) may consume
 * `topic`: true when a member's subscription names it or cannot be read.
 */
export function mayConsume(protocolType: string | null, memberMetadata: Iterable<Uint8Array>, topic: string): boolean {
  for (const metadata of memberMetadata) {
    const topics = subscribedTopics(protocolType, metadata);
    if (topics === undefined || topics.includes(topic)) return true;
  }
  return false;
}
