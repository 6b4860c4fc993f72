/** Kafka's topic name rule: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..". */
export const TOPIC_NAME_LENGTH_MAX = 249;

const legalTopicName = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a legal topic name, or undefined when it is. */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > TOPIC_NAME_LENGTH_MAX) return `topic name is longer than ${TOPIC_NAME_LENGTH_MAX} characters`;
  if (!legalTopicName.test(name)) return `topic name ${JSON.stringify(name)} has characters outside [a-zA-Z0-9._-]`;
  return undefined;
}
