/**
 * gRPC plumbing shared by brokers and clients: tuned channel and server options, typed
 * connections and servers over the loaded protocol, deadlines, and the mapping between gRPC
 * statuses and Eddy's error codes.
 *
 * Errors inside responses (`errorCode` fields) are the normal way to fail. A gRPC status is for
 * calls that fail as a whole: transport failures, deadlines, cancellation, an RPC the peer does
 * not implement, or a handler that rejects the call with `toGrpcStatus(error)` (whose metadata
 * carries the exact Eddy code, so `fromGrpcError` restores it).
 */
import { EddyError } from '@eddy/base';
import * as grpc from '@grpc/grpc-js';
import { type ErrorCodeName, isErrorCodeName, toEddyError, toWireError } from './error-codes.js';
import {
  flowControlWindowBytes,
  keepaliveTimeMs,
  keepaliveTimeoutMs,
  messageBytesMax,
  reconnectBackoffMsInitial,
  reconnectBackoffMsMax,
  shutdownGraceMsDefault,
  unaryTimeoutMsDefault,
} from './limits.js';
import type { MethodCodec, Protocol } from './load.js';
import {
  type CallOptions,
  type ClientStreamCall,
  type MethodName,
  type ServiceClient,
  type ServiceHandlers,
  type ServiceName,
  serviceSchemas,
} from './services.js';

/** Call metadata naming the calling client (`client.id`), for logs and group member lists. */
export const clientIdMetadataKey = 'eddy-client-id';
/** Trailing metadata of a failed call: the Eddy error code behind its gRPC status. */
export const errorCodeMetadataKey = 'eddy-error-code';

/** Options for every client channel: large messages, keepalive, fast reconnects, no gRPC retries (Eddy retries itself). */
export const channelOptions: grpc.ChannelOptions = {
  'grpc.max_send_message_length': messageBytesMax,
  'grpc.max_receive_message_length': messageBytesMax,
  'grpc.keepalive_time_ms': keepaliveTimeMs,
  'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': reconnectBackoffMsInitial,
  'grpc.max_reconnect_backoff_ms': reconnectBackoffMsMax,
  'grpc.enable_retries': 0,
  'grpc-node.flow_control_window': flowControlWindowBytes,
};

/** Options for every server: large messages, and keepalive pings that drop dead clients' streams. */
export const serverOptions: grpc.ServerOptions = {
  'grpc.max_send_message_length': messageBytesMax,
  'grpc.max_receive_message_length': messageBytesMax,
  'grpc.keepalive_time_ms': keepaliveTimeMs,
  'grpc.keepalive_timeout_ms': keepaliveTimeoutMs,
};

/** A gRPC deadline `ms` milliseconds from now. */
export function deadline(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

// ---------------------------------------------------------------------------------------------
// Status mapping.

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number' && 'details' in error;
}

function codeForStatus(status: grpc.status, details: string): ErrorCodeName {
  switch (status) {
    case grpc.status.CANCELLED:
      return 'CANCELLED';
    case grpc.status.DEADLINE_EXCEEDED:
      return 'REQUEST_TIMED_OUT';
    case grpc.status.UNAVAILABLE:
      return 'NETWORK_EXCEPTION';
    case grpc.status.UNIMPLEMENTED:
      return 'UNSUPPORTED_VERSION';
    case grpc.status.INVALID_ARGUMENT:
      return 'INVALID_REQUEST';
    case grpc.status.RESOURCE_EXHAUSTED:
      return /larger than max/i.test(details) ? 'MESSAGE_TOO_LARGE' : 'THROTTLING_QUOTA_EXCEEDED';
    default:
      return 'UNKNOWN_SERVER_ERROR';
  }
}

function statusForCode(code: ErrorCodeName): grpc.status {
  switch (code) {
    case 'CANCELLED':
      return grpc.status.CANCELLED;
    case 'REQUEST_TIMED_OUT':
      return grpc.status.DEADLINE_EXCEEDED;
    case 'NETWORK_EXCEPTION':
    case 'BROKER_NOT_AVAILABLE':
    case 'NODE_SHUTTING_DOWN':
      return grpc.status.UNAVAILABLE;
    case 'UNSUPPORTED_VERSION':
      return grpc.status.UNIMPLEMENTED;
    case 'INVALID_REQUEST':
      return grpc.status.INVALID_ARGUMENT;
    case 'MESSAGE_TOO_LARGE':
    case 'TOO_MANY_INFLIGHT_REQUESTS':
    case 'THROTTLING_QUOTA_EXCEEDED':
      return grpc.status.RESOURCE_EXHAUSTED;
    default:
      return grpc.status.UNKNOWN;
  }
}

/**
 * The EddyError for a failed call: the code in the `eddy-error-code` trailer when the server
 * set one, else the code that matches the gRPC status (UNAVAILABLE is NETWORK_EXCEPTION,
 * DEADLINE_EXCEEDED is REQUEST_TIMED_OUT, CANCELLED is CANCELLED, UNIMPLEMENTED is
 * UNSUPPORTED_VERSION, ...). An EddyError passes through; anything else is
 * UNKNOWN_SERVER_ERROR. `context` (e.g. the RPC path) prefixes the message.
 */
export function fromGrpcError(error: unknown, context?: string): EddyError {
  if (error instanceof EddyError) return error;
  const prefix = context === undefined ? '' : `${context}: `;
  if (!isServiceError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new EddyError('UNKNOWN_SERVER_ERROR', `${prefix}${message}`, { cause: error });
  }
  const details = error.details === '' ? grpc.status[error.code] ?? `status ${error.code}` : error.details;
  const trailer = error.metadata?.get(errorCodeMetadataKey)[0];
  const code = typeof trailer === 'string' && isErrorCodeName(trailer) && trailer !== 'NONE' ? trailer : codeForStatus(error.code, details);
  return toEddyError(code, `${prefix}${details}`, { cause: error });
}

/** A gRPC status that fails a whole call with an error (see `fromGrpcError` for the other end). */
export interface GrpcStatus {
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata: grpc.Metadata;
}

/**
 * The status to fail a whole call with: `callback(toGrpcStatus(error))` in a unary handler,
 * `call.emit('error', toGrpcStatus(error))` in a streaming one.
 */
export function toGrpcStatus(error: unknown): GrpcStatus {
  const wire = toWireError(error);
  const metadata = new grpc.Metadata();
  metadata.set(errorCodeMetadataKey, wire.errorCode);
  return { code: statusForCode(wire.errorCode), details: wire.errorMessage, metadata };
}

// ---------------------------------------------------------------------------------------------
// Clients.

export interface ConnectOptions {
  /** Sent as `eddy-client-id` metadata on every call. */
  readonly clientId?: string;
  /** Insecure (plain HTTP/2) by default. */
  readonly credentials?: grpc.ChannelCredentials;
  /** Merged over `channelOptions`. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Deadline of unary calls made without one; `unaryTimeoutMsDefault` by default. */
  readonly unaryTimeoutMs?: number;
}

/**
 * One channel (one HTTP/2 connection) to one node, shared by typed stubs of every service.
 * grpc-js connects lazily and reconnects by itself.
 */
export interface Connection {
  /** `host:port`. */
  readonly target: string;
  service<S extends ServiceName>(name: S): ServiceClient<S>;
  /** Resolves once connected; rejects with NETWORK_EXCEPTION at the deadline. */
  waitForReady(deadline: Date | number): Promise<void>;
  /** Closes the channel; calls still running fail with CANCELLED or UNAVAILABLE. */
  close(): void;
}

interface CallDefaults {
  readonly clientId: string | undefined;
  readonly unaryTimeoutMs: number;
}

function callMetadata(options: CallOptions, defaults: CallDefaults): grpc.Metadata {
  const metadata = options.metadata?.clone() ?? new grpc.Metadata();
  if (defaults.clientId !== undefined && metadata.get(clientIdMetadataKey).length === 0) metadata.set(clientIdMetadataKey, defaults.clientId);
  return metadata;
}

function callDeadline(options: CallOptions, timeoutMsDefault: number | undefined): grpc.Deadline | undefined {
  if (options.deadline !== undefined) return options.deadline;
  const timeoutMs = options.timeoutMs ?? timeoutMsDefault;
  return timeoutMs === undefined ? undefined : deadline(timeoutMs);
}

function grpcCallOptions(options: CallOptions, timeoutMsDefault: number | undefined): grpc.CallOptions {
  const callDeadlineValue = callDeadline(options, timeoutMsDefault);
  return callDeadlineValue === undefined ? {} : { deadline: callDeadlineValue };
}

/** Cancels `call` when `signal` aborts; returns the function that stops listening. */
function cancelOnAbort(call: { cancel(): void }, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => undefined;
  if (signal.aborted) {
    call.cancel();
    return () => undefined;
  }
  const onAbort = (): void => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function unaryMethod<Req, Res>(client: grpc.Client, method: MethodCodec<Req, Res>, defaults: CallDefaults) {
  return (request: Req, options: CallOptions = {}): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      let stopListening = (): void => undefined;
      const call = client.makeUnaryRequest(
        method.path,
        method.serializeRequest,
        method.deserializeResponse,
        request,
        callMetadata(options, defaults),
        grpcCallOptions(options, defaults.unaryTimeoutMs),
        (error, response) => {
          stopListening();
          if (error !== null) reject(fromGrpcError(error, method.path));
          else if (response === undefined) reject(new EddyError('UNKNOWN_SERVER_ERROR', `${method.path}: no response`));
          else resolve(response);
        },
      );
      stopListening = cancelOnAbort(call, options.signal);
    });
}

function serverStreamMethod<Req, Res>(client: grpc.Client, method: MethodCodec<Req, Res>, defaults: CallDefaults) {
  return (request: Req, options: CallOptions = {}): grpc.ClientReadableStream<Res> => {
    const call = client.makeServerStreamRequest(
      method.path,
      method.serializeRequest,
      method.deserializeResponse,
      request,
      callMetadata(options, defaults),
      grpcCallOptions(options, undefined),
    );
    call.once('close', cancelOnAbort(call, options.signal));
    return call;
  };
}

function clientStreamMethod<Req, Res>(client: grpc.Client, method: MethodCodec<Req, Res>, defaults: CallDefaults) {
  return (options: CallOptions = {}): ClientStreamCall<Req, Res> => {
    let settle: (error: grpc.ServiceError | null, response?: Res) => void = () => undefined;
    const response = new Promise<Res>((resolve, reject) => {
      settle = (error, value) => {
        if (error !== null) reject(fromGrpcError(error, method.path));
        else if (value === undefined) reject(new EddyError('UNKNOWN_SERVER_ERROR', `${method.path}: no response`));
        else resolve(value);
      };
    });
    const call = client.makeClientStreamRequest(
      method.path,
      method.serializeRequest,
      method.deserializeResponse,
      callMetadata(options, defaults),
      grpcCallOptions(options, undefined),
      (error, value) => settle(error, value),
    );
    const stopListening = cancelOnAbort(call, options.signal);
    void response.then(stopListening, stopListening);
    return { call, response };
  };
}

function bidiMethod<Req, Res>(client: grpc.Client, method: MethodCodec<Req, Res>, defaults: CallDefaults) {
  return (options: CallOptions = {}): grpc.ClientDuplexStream<Req, Res> => {
    const call = client.makeBidiStreamRequest(
      method.path,
      method.serializeRequest,
      method.deserializeResponse,
      callMetadata(options, defaults),
      grpcCallOptions(options, undefined),
    );
    call.once('close', cancelOnAbort(call, options.signal));
    return call;
  };
}

function serviceClient<S extends ServiceName>(protocol: Protocol, client: grpc.Client, service: S, defaults: CallDefaults): ServiceClient<S> {
  const stub: Record<string, unknown> = {};
  for (const methodName of Object.keys(serviceSchemas[service]) as MethodName<S>[]) {
    const method = protocol.method(service, methodName);
    const name = methodName.charAt(0).toLowerCase() + methodName.slice(1);
    switch (method.kind) {
      case 'unary':
        stub[name] = unaryMethod(client, method, defaults);
        break;
      case 'serverStream':
        stub[name] = serverStreamMethod(client, method, defaults);
        break;
      case 'clientStream':
        stub[name] = clientStreamMethod(client, method, defaults);
        break;
      case 'bidi':
        stub[name] = bidiMethod(client, method, defaults);
        break;
    }
  }
  // Each member was built for its RPC's kind, request and response as the manifest declares.
  return stub as ServiceClient<S>;
}

/** Opens a channel to `target` (`host:port`). */
export function connect(protocol: Protocol, target: string, options: ConnectOptions = {}): Connection {
  let client: grpc.Client;
  try {
    client = new grpc.Client(target, options.credentials ?? grpc.credentials.createInsecure(), {
      ...channelOptions,
      ...options.channelOptions,
    });
  } catch (error: unknown) {
    throw new EddyError('INVALID_CONFIG', `cannot connect to ${JSON.stringify(target)}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const defaults: CallDefaults = { clientId: options.clientId, unaryTimeoutMs: options.unaryTimeoutMs ?? unaryTimeoutMsDefault };
  const stubs = new Map<ServiceName, unknown>();
  return {
    target,
    service<S extends ServiceName>(name: S): ServiceClient<S> {
      let stub = stubs.get(name) as ServiceClient<S> | undefined;
      if (stub === undefined) {
        stub = serviceClient(protocol, client, name, defaults);
        stubs.set(name, stub);
      }
      return stub;
    },
    waitForReady(until: Date | number): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        client.waitForReady(until, (error) => {
          if (error === undefined || error === null) resolve();
          else reject(new EddyError('NETWORK_EXCEPTION', `cannot connect to ${target}: ${error.message}`, { retriable: true, cause: error }));
        });
      });
    },
    close(): void {
      client.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Servers.

/** Handlers for any services; RPCs without a handler answer UNIMPLEMENTED (UNSUPPORTED_VERSION). */
export type ServiceHandlerMap = { readonly [S in ServiceName]?: Partial<ServiceHandlers<S>> };

export interface StartServerOptions {
  readonly protocol: Protocol;
  readonly host: string;
  /** 0 picks a free port (see ServerHandle.port). */
  readonly port: number;
  readonly services?: ServiceHandlerMap;
  /** Insecure by default. */
  readonly credentials?: grpc.ServerCredentials;
  /** Merged over `serverOptions`. */
  readonly serverOptions?: grpc.ServerOptions;
}

export interface ServerHandle {
  readonly server: grpc.Server;
  readonly host: string;
  /** The bound port. */
  readonly port: number;
  /** `host:port` to connect to. */
  readonly address: string;
  addService<S extends ServiceName>(service: S, handlers: Partial<ServiceHandlers<S>>): void;
  /**
   * Stops accepting calls, lets running calls finish for up to `graceMs` (default
   * `shutdownGraceMsDefault`), then cancels the rest.
   */
  close(graceMs?: number): Promise<void>;
}

function addService<S extends ServiceName>(server: grpc.Server, protocol: Protocol, service: S, handlers: Partial<ServiceHandlers<S>>): void {
  const byName = handlers as Readonly<Record<string, grpc.UntypedHandleCall | undefined>>;
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const methodName of Object.keys(serviceSchemas[service])) {
    const handler = byName[methodName.charAt(0).toLowerCase() + methodName.slice(1)];
    if (handler !== undefined) implementation[methodName] = handler;
  }
  server.addService(protocol.serviceDefinition(service), implementation);
}

/** Starts a gRPC server on host:port with the given services. */
export async function startServer(options: StartServerOptions): Promise<ServerHandle> {
  const server = new grpc.Server({ ...serverOptions, ...options.serverOptions });
  for (const service of Object.keys(options.services ?? {}) as ServiceName[]) {
    const handlers = options.services?.[service];
    if (handlers !== undefined) addService(server, options.protocol, service, handlers);
  }
  const requested = formatAddress(options.host, options.port);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(requested, options.credentials ?? grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error === null) {
        resolve(bound);
      } else {
        server.forceShutdown();
        reject(new EddyError('INVALID_CONFIG', `cannot listen on ${requested}: ${error.message}`, { cause: error }));
      }
    });
  });
  return {
    server,
    host: options.host,
    port,
    address: formatAddress(options.host, port),
    addService: (service, handlers) => addService(server, options.protocol, service, handlers),
    close: (graceMs = shutdownGraceMsDefault) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
