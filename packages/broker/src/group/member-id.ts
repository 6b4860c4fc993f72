import type { Prng } from '@eddy/base';

/**
 * Kafka's member ids, `clientId-uuid`, with the UUID (version 4 layout) drawn from an injected
 * Prng so that a seeded run hands out the same ids.
 */
export function prngMemberIdGenerator(prng: Prng): (clientId: string) => string {
  return (clientId) => `${clientId}-${randomUuid(prng)}`;
}

function randomUuid(prng: Prng): string {
  const hex = Array.from({ length: 4 }, () => prng.nextUint32().toString(16).padStart(8, '0')).join('');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
