import { afterEach } from 'vitest';

export interface Closable {
  close(): Promise<void>;
}

/**
 * Registers an afterEach that closes what the test handed to the returned function (clusters,
 * clients), newest first, even when the test failed; the first failure to close is rethrown
 * once everything else is closed, so one stuck client never leaves processes running.
 */
export function closeAfterEach(): <T extends Closable>(resource: T) => T {
  const open: Closable[] = [];
  afterEach(async () => {
    const failures: unknown[] = [];
    for (const resource of open.splice(0).reverse()) await resource.close().catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });
  return (resource) => {
    open.push(resource);
    return resource;
  };
}
