/**
 * A manifest of every message of proto/eddy/v1: its fields and their proto types, written as in
 * the .proto (`'int64'`, `'repeated BrokerEndpoint'`, `'ErrorCode'`). It ties the hand-written
 * interfaces to the proto files from both sides:
 * - at compile time, each `xxxSchemas` table `satisfies MessageSchemaTable<...>`, which
 *   requires exactly the interface's fields, each with a proto type that decodes to the
 *   field's TypeScript type (int64 → bigint, a message → `Message | null`, ...);
 * - at test time, schema.test.ts compares the manifest with the loaded proto descriptors.
 * So a field added, removed, renamed or retyped on either side fails the build or the tests.
 */
import { type ErrorCodeName, errorCodeNumbers } from './error-codes.js';
import { type AdminMessages, adminSchemas } from './messages/admin.js';
import { type ClientMessages, clientSchemas } from './messages/client.js';
import { type CommonMessages, commonSchemas } from './messages/common.js';
import { type ControllerMessages, controllerSchemas } from './messages/controller.js';
import { enumValues } from './messages/enums.js';
import { type GroupMessages, groupSchemas } from './messages/group.js';
import { type RaftMessages, raftSchemas } from './messages/raft.js';
import { type ReplicationMessages, replicationSchemas } from './messages/replication.js';

/** Every message of proto/eddy/v1 by name (the name without the `eddy.v1.` package). */
export interface Messages
  extends CommonMessages,
    ClientMessages,
    AdminMessages,
    GroupMessages,
    ReplicationMessages,
    RaftMessages,
    ControllerMessages {}

export type MessageName = keyof Messages;

/** Every enum of proto/eddy/v1: value name → number. */
export const enumSchemas = { ErrorCode: errorCodeNumbers, ...enumValues } as const;

export type EnumName = keyof typeof enumSchemas;

/** The TypeScript type of each enum: the union of its value names. */
export type EnumTypes = { [E in EnumName]: E extends 'ErrorCode' ? ErrorCodeName : keyof (typeof enumSchemas)[E] };

/** Scalar proto types in use, and the TypeScript type each decodes to. */
interface ScalarTypes {
  int32: number;
  uint32: number;
  double: number;
  int64: bigint;
  uint64: bigint;
  bool: boolean;
  string: string;
  bytes: Buffer;
}

export type ScalarToken = keyof ScalarTypes;
/** The proto type of one field as the .proto writes it. */
export type FieldToken = ScalarToken | EnumName | MessageName | `repeated ${ScalarToken | EnumName | MessageName}`;
export type MessageSchema = Readonly<Record<string, FieldToken>>;

/** Exact type equality (not mere assignability). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type TokensDecodingTo<T> = { [K in ScalarToken]: Equals<ScalarTypes[K], T> extends true ? K : never }[ScalarToken];
type EnumDecodingTo<T> = { [E in EnumName]: Equals<EnumTypes[E], T> extends true ? E : never }[EnumName];
type MessageDecodingTo<T> = { [M in MessageName]: Equals<Messages[M], T> extends true ? M : never }[MessageName];

/** The proto type of a repeated field's element, or of a singular scalar or enum field. */
type ElementToken<T> = TokensDecodingTo<T> | EnumDecodingTo<T> | MessageDecodingTo<T>;

/**
 * The proto types whose decoded form is exactly T: arrays are `repeated`, a singular message
 * decodes to `Message | null` (null when absent), scalars and enums to themselves.
 */
export type FieldTokenFor<T> = [T] extends [readonly (infer E)[]]
  ? `repeated ${ElementToken<E> & string}`
  : null extends T
    ? MessageDecodingTo<Exclude<T, null>>
    : TokensDecodingTo<T> | EnumDecodingTo<T>;

/** The schema table of a group of messages: exactly their fields, each with a fitting token. */
export type MessageSchemaTable<Group> = {
  readonly [M in keyof Group]: { readonly [F in keyof Group[M]]-?: FieldTokenFor<Group[M][F]> };
};

/** Every message's fields and their proto types. */
export const messageSchemas: Readonly<Record<MessageName, MessageSchema>> = {
  ...commonSchemas,
  ...clientSchemas,
  ...adminSchemas,
  ...groupSchemas,
  ...replicationSchemas,
  ...raftSchemas,
  ...controllerSchemas,
};
