/**
 * Loads proto/eddy/v1 at run time with @grpc/proto-loader.
 *
 * Decoding conventions (what handlers and clients see, and what they send):
 * - field names in lowerCamelCase (`keepCase: false`): `correlation_id` is `correlationId`;
 * - int64 and uint64 as `bigint` both ways (`longs: BigInt`; encoding takes bigint too), so
 *   offsets are never compared as strings or rounded as doubles;
 * - bytes as `Buffer` (a view into the received message, not a copy);
 * - enums as their value names (`enums: String`): `errorCode: 'NOT_LEADER_OR_FOLLOWER'`. A
 *   value this build does not know (a newer peer) decodes as UNKNOWN_SERVER_ERROR for
 *   ErrorCode and as the zero (`*_UNSPECIFIED`) value for other enums, so decoded values are
 *   always names of the TypeScript unions;
 * - every field present (`defaults: true`): scalars at their zero value, repeated fields as
 *   arrays, an absent message field as `null`.
 * The contract uses no oneof, map, nested type or proto3 `optional` (schema.test.ts checks).
 *
 * The proto directory is found, in this order: the `protoDir` option; the EDDY_PROTO_DIR
 * environment variable; a `proto/` directory in this module's directory or any directory above
 * it (the repository, from src/ under vitest and from dist/ when built); `proto/` beside the
 * Node executable (a single-binary build). Either the `proto/` directory or `proto/eddy/v1`
 * itself may be given.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, EddyError } from '@eddy/base';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { MessageName, Messages } from './schema.js';
import { type MethodName, type RequestOf, type ResponseOf, type RpcKind, type ServiceName, serviceSchemas } from './services.js';

/** The proto package of every Eddy message and service. */
export const protoPackage = 'eddy.v1';

/** The files of the contract, relative to the proto directory. */
export const protoFiles = [
  'eddy/v1/common.proto',
  'eddy/v1/client.proto',
  'eddy/v1/admin.proto',
  'eddy/v1/group.proto',
  'eddy/v1/replication.proto',
  'eddy/v1/raft.proto',
  'eddy/v1/controller.proto',
] as const;

/** Names the proto directory, overriding the search (see the module comment). */
export const protoDirEnvVar = 'EDDY_PROTO_DIR';

/** The proto-loader options behind the decoding conventions above. */
export const protoLoaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: BigInt,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

export interface ProtoDirOptions {
  /** The proto directory, or its eddy/v1 subdirectory. */
  readonly protoDir?: string;
  /** Where EDDY_PROTO_DIR is read from; process.env by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The proto directory (the include root that holds eddy/v1/*.proto). */
export function resolveProtoDir(options: ProtoDirOptions = {}): string {
  const env = options.env ?? process.env;
  const named = options.protoDir ?? env[protoDirEnvVar];
  if (named !== undefined && named !== '') {
    const root = asProtoRoot(resolve(named));
    if (root === undefined) {
      const source = options.protoDir === undefined ? `${protoDirEnvVar}=${named}` : `protoDir ${named}`;
      throw new EddyError('INVALID_CONFIG', `${source} holds no eddy/v1/common.proto`);
    }
    return root;
  }
  const searched: string[] = [];
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    searched.push(candidate);
    if (asProtoRoot(candidate) !== undefined) return candidate;
    if (dirname(dir) === dir) break;
  }
  const besideExecutable = join(dirname(process.execPath), 'proto');
  searched.push(besideExecutable);
  if (asProtoRoot(besideExecutable) !== undefined) return besideExecutable;
  throw new EddyError('INVALID_CONFIG', `no proto directory found (looked in ${searched.join(', ')}); set ${protoDirEnvVar}`);
}

function asProtoRoot(dir: string): string | undefined {
  if (existsSync(join(dir, 'eddy', 'v1', 'common.proto'))) return dir;
  if (basename(dir) === 'v1' && basename(dirname(dir)) === 'eddy' && existsSync(join(dir, 'common.proto'))) return dirname(dirname(dir));
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Reflection over the loaded descriptors.

/** A field as the loaded .proto declares it. */
export interface FieldDescription {
  /** lowerCamelCase, as decoded. */
  readonly name: string;
  readonly number: number;
  readonly repeated: boolean;
  readonly kind: 'scalar' | 'enum' | 'message';
  /** The scalar type (`int64`) or the enum or message name without the package. */
  readonly type: string;
}

export interface MessageDescription {
  readonly fields: readonly FieldDescription[];
  /**
   * Counts of constructs the typed layer does not model (nested messages and enums, map entries;
   * oneofs, proto3 `optional` included): all zero in the contract.
   */
  readonly nestedTypeCount: number;
  readonly oneofCount: number;
}

export interface MethodDescription {
  readonly kind: RpcKind;
  /** The gRPC path: `/eddy.v1.ClientService/Produce`. */
  readonly path: string;
  readonly request: string;
  readonly response: string;
}

/** Everything the loaded package declares, by name without the package prefix. */
export interface PackageDescription {
  readonly messages: ReadonlyMap<string, MessageDescription>;
  readonly enums: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly services: ReadonlyMap<string, ReadonlyMap<string, MethodDescription>>;
}

const scalarTypes: Readonly<Record<string, string>> = {
  TYPE_DOUBLE: 'double',
  TYPE_FLOAT: 'float',
  TYPE_INT64: 'int64',
  TYPE_UINT64: 'uint64',
  TYPE_INT32: 'int32',
  TYPE_FIXED64: 'fixed64',
  TYPE_FIXED32: 'fixed32',
  TYPE_BOOL: 'bool',
  TYPE_STRING: 'string',
  TYPE_BYTES: 'bytes',
  TYPE_UINT32: 'uint32',
  TYPE_SFIXED32: 'sfixed32',
  TYPE_SFIXED64: 'sfixed64',
  TYPE_SINT32: 'sint32',
  TYPE_SINT64: 'sint64',
};

function field(value: unknown, key: string): unknown {
  assert(typeof value === 'object' && value !== null, `descriptor ${key}: expected an object`);
  return (value as Record<string, unknown>)[key];
}

function stringField(value: unknown, key: string): string {
  const found = field(value, key);
  assert(typeof found === 'string', `descriptor field ${key} is not a string`);
  return found;
}

function numberField(value: unknown, key: string): number {
  const found = field(value, key);
  assert(typeof found === 'number', `descriptor field ${key} is not a number`);
  return found;
}

function listField(value: unknown, key: string): readonly unknown[] {
  const found = field(value, key) ?? [];
  assert(Array.isArray(found), `descriptor field ${key} is not a list`);
  return found;
}

function shortName(typeName: string): string {
  return typeName.replace(/^\./, '').replace(new RegExp(`^${protoPackage.replace('.', '\\.')}\\.`), '');
}

/** Reads messages, enums and services out of a proto-loader package definition. */
export function describePackage(definition: protoLoader.PackageDefinition): PackageDescription {
  const messages = new Map<string, MessageDescription>();
  const enums = new Map<string, ReadonlyMap<string, number>>();
  const services = new Map<string, ReadonlyMap<string, MethodDescription>>();
  for (const [fullName, entry] of Object.entries(definition)) {
    const name = shortName(fullName);
    if ('format' in entry && entry.format === 'Protocol Buffer 3 DescriptorProto') {
      const fields = listField(entry.type, 'field').map((descriptor): FieldDescription => {
        const protoType = stringField(descriptor, 'type');
        const scalar = scalarTypes[protoType];
        const kind = scalar !== undefined ? 'scalar' : protoType === 'TYPE_ENUM' ? 'enum' : 'message';
        assert(kind !== 'message' || protoType === 'TYPE_MESSAGE', `${name}: unsupported field type ${protoType}`);
        return {
          name: stringField(descriptor, 'name'),
          number: numberField(descriptor, 'number'),
          repeated: stringField(descriptor, 'label') === 'LABEL_REPEATED',
          kind,
          type: scalar ?? shortName(stringField(descriptor, 'typeName')),
        };
      });
      messages.set(name, {
        fields,
        nestedTypeCount: listField(entry.type, 'nestedType').length + listField(entry.type, 'enumType').length,
        oneofCount: listField(entry.type, 'oneofDecl').length,
      });
    } else if ('format' in entry && entry.format === 'Protocol Buffer 3 EnumDescriptorProto') {
      enums.set(name, new Map(listField(entry.type, 'value').map((value) => [stringField(value, 'name'), numberField(value, 'number')])));
    } else if (!('format' in entry)) {
      const methods = new Map<string, MethodDescription>();
      for (const [methodName, method] of Object.entries(entry)) {
        const kind: RpcKind = method.requestStream
          ? method.responseStream
            ? 'bidi'
            : 'clientStream'
          : method.responseStream
            ? 'serverStream'
            : 'unary';
        methods.set(methodName, {
          kind,
          path: method.path,
          request: stringField(method.requestType.type, 'name'),
          response: stringField(method.responseType.type, 'name'),
        });
      }
      services.set(name, methods);
    }
  }
  return { messages, enums, services };
}

// ---------------------------------------------------------------------------------------------
// Normalising unknown enum values.

type DecodedMessage = Record<string, unknown>;
type Normalizer = (message: DecodedMessage) => void;

/** The value an unknown number of each enum decodes as. */
function unknownEnumValue(enumName: string, values: ReadonlyMap<string, number>): string {
  if (enumName === 'ErrorCode') return 'UNKNOWN_SERVER_ERROR';
  for (const [valueName, number] of values) if (number === 0) return valueName;
  assert(false, `enum ${enumName} has no zero value`);
}

/**
 * For each message that holds an enum (itself or through its message fields), a function that
 * replaces unknown enum numbers in a decoded message, in place. Messages without enums need none.
 */
function buildNormalizers(description: PackageDescription): ReadonlyMap<string, Normalizer> {
  const needs = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, message] of description.messages) {
      if (needs.has(name)) continue;
      if (message.fields.some((f) => f.kind === 'enum' || (f.kind === 'message' && needs.has(f.type)))) {
        needs.add(name);
        changed = true;
      }
    }
  }
  const normalizers = new Map<string, Normalizer>();
  for (const name of needs) {
    const message = description.messages.get(name);
    assert(message !== undefined, `message ${name} is described`);
    const steps: Normalizer[] = [];
    for (const f of message.fields) {
      const key = f.name;
      if (f.kind === 'enum') {
        const values = description.enums.get(f.type);
        assert(values !== undefined, `enum ${f.type} is described`);
        const fallback = unknownEnumValue(f.type, values);
        steps.push(
          f.repeated
            ? (m) => {
                const list = m[key] as unknown[];
                for (let i = 0; i < list.length; i++) if (typeof list[i] === 'number') list[i] = fallback;
              }
            : (m) => {
                if (typeof m[key] === 'number') m[key] = fallback;
              },
        );
      } else if (f.kind === 'message' && needs.has(f.type)) {
        const type = f.type;
        steps.push(
          f.repeated
            ? (m) => {
                const inner = normalizers.get(type) as Normalizer;
                for (const item of m[key] as DecodedMessage[]) inner(item);
              }
            : (m) => {
                const item = m[key] as DecodedMessage | null;
                if (item !== null) (normalizers.get(type) as Normalizer)(item);
              },
        );
      }
    }
    normalizers.set(name, (m) => {
      for (const step of steps) step(m);
    });
  }
  return normalizers;
}

// ---------------------------------------------------------------------------------------------
// The loaded protocol.

/** Encodes and decodes one message type outside gRPC (e.g. group assignments inside bytes). */
export interface MessageCodec<T> {
  readonly encode: (value: T) => Buffer;
  readonly decode: (bytes: Buffer) => T;
}

/** One RPC, ready for grpc-js: its path and (de)serializers with the conventions above. */
export interface MethodCodec<Req, Res> {
  readonly kind: RpcKind;
  readonly path: string;
  readonly serializeRequest: (value: Req) => Buffer;
  readonly deserializeRequest: (bytes: Buffer) => Req;
  readonly serializeResponse: (value: Res) => Buffer;
  readonly deserializeResponse: (bytes: Buffer) => Res;
}

/** proto/eddy/v1, loaded. */
export interface Protocol {
  /** The proto directory it was loaded from. */
  readonly protoDir: string;
  /** Messages, enums and services as the .proto files declare them. */
  readonly description: PackageDescription;
  /** A service definition for grpc-js `Server.addService` (decoders normalise unknown enums). */
  serviceDefinition(service: ServiceName): grpc.ServiceDefinition;
  method<S extends ServiceName, M extends MethodName<S>>(service: S, method: M): MethodCodec<RequestOf<S, M>, ResponseOf<S, M>>;
  codec<M extends MessageName>(message: M): MessageCodec<Messages[M]>;
}

type AnyCodec = MessageCodec<object>;

class LoadedProtocol implements Protocol {
  readonly description: PackageDescription;
  private readonly codecs = new Map<string, AnyCodec>();
  private readonly methods = new Map<string, MethodCodec<object, object>>();
  private readonly serviceDefinitions = new Map<string, grpc.ServiceDefinition>();

  constructor(
    readonly protoDir: string,
    definition: protoLoader.PackageDefinition,
  ) {
    this.description = describePackage(definition);
    const normalizers = buildNormalizers(this.description);
    for (const [fullName, entry] of Object.entries(definition)) {
      if (!('format' in entry) || entry.format !== 'Protocol Buffer 3 DescriptorProto') continue;
      const name = shortName(fullName);
      const normalize = normalizers.get(name);
      const { serialize, deserialize } = entry;
      this.codecs.set(name, {
        encode: (value) => serialize(value),
        decode:
          normalize === undefined
            ? (bytes) => deserialize(bytes)
            : (bytes) => {
                const decoded = deserialize(bytes) as DecodedMessage;
                normalize(decoded);
                return decoded;
              },
      });
    }
    for (const [serviceName, methods] of this.description.services) {
      for (const [methodName, method] of methods) {
        const request = this.anyCodec(method.request);
        const response = this.anyCodec(method.response);
        this.methods.set(`${serviceName}/${methodName}`, {
          kind: method.kind,
          path: method.path,
          serializeRequest: request.encode,
          deserializeRequest: request.decode,
          serializeResponse: response.encode,
          deserializeResponse: response.decode,
        });
      }
    }
    this.checkBigIntDecoding();
  }

  serviceDefinition(service: ServiceName): grpc.ServiceDefinition {
    let definition = this.serviceDefinitions.get(service);
    if (definition === undefined) {
      const methods: Record<string, grpc.MethodDefinition<object, object>> = {};
      for (const methodName of Object.keys(serviceSchemas[service])) {
        const method = this.anyMethod(service, methodName);
        methods[methodName] = {
          path: method.path,
          requestStream: method.kind === 'clientStream' || method.kind === 'bidi',
          responseStream: method.kind === 'serverStream' || method.kind === 'bidi',
          requestSerialize: method.serializeRequest,
          requestDeserialize: method.deserializeRequest,
          responseSerialize: method.serializeResponse,
          responseDeserialize: method.deserializeResponse,
          originalName: methodName.charAt(0).toLowerCase() + methodName.slice(1),
        };
      }
      definition = methods;
      this.serviceDefinitions.set(service, definition);
    }
    return definition;
  }

  method<S extends ServiceName, M extends MethodName<S>>(service: S, method: M): MethodCodec<RequestOf<S, M>, ResponseOf<S, M>> {
    // The codecs were built from the same proto the typed manifest describes (schema.test.ts).
    return this.anyMethod(service, method) as unknown as MethodCodec<RequestOf<S, M>, ResponseOf<S, M>>;
  }

  codec<M extends MessageName>(message: M): MessageCodec<Messages[M]> {
    return this.anyCodec(message) as unknown as MessageCodec<Messages[M]>;
  }

  private anyCodec(message: string): AnyCodec {
    const codec = this.codecs.get(message);
    assert(codec !== undefined, `message ${message} is not in ${this.protoDir}`);
    return codec;
  }

  private anyMethod(service: string, method: string): MethodCodec<object, object> {
    const codec = this.methods.get(`${service}/${method}`);
    assert(codec !== undefined, `rpc ${service}.${method} is not in ${this.protoDir}`);
    return codec;
  }

  /** protobufjs decodes int64 as BigInt only from 7.5 on; fail at load, not on the first offset. */
  private checkBigIntDecoding(): void {
    const codec = this.codec('EpochEndOffset');
    const endOffset = 2n ** 62n + 1n;
    const decoded = codec.decode(codec.encode({ epoch: 1, endOffset }));
    if (typeof decoded.endOffset !== 'bigint' || decoded.endOffset !== endOffset) {
      throw new Error('the installed protobufjs does not decode int64 fields as BigInt; @eddy/protocol needs protobufjs >= 7.5');
    }
  }
}

const loaded = new Map<string, Protocol>();

/**
 * Loads (once per directory) and returns the protocol. Throws an INVALID_CONFIG EddyError when
 * no proto directory is found.
 */
export function loadProtocol(options: ProtoDirOptions = {}): Protocol {
  const protoDir = resolveProtoDir(options);
  let protocol = loaded.get(protoDir);
  if (protocol === undefined) {
    const definition = protoLoader.loadSync([...protoFiles], { ...protoLoaderOptions, includeDirs: [protoDir] });
    protocol = new LoadedProtocol(protoDir, definition);
    loaded.set(protoDir, protocol);
  }
  return protocol;
}
