import { AssertionError, EddyError } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import {
  errorCodeByName,
  errorCodeByNumber,
  errorCodeList,
  errorCodes,
  fromWireError,
  isErrorCodeName,
  noError,
  toEddyError,
  toWireError,
} from './error-codes.js';
import { loadProtocol } from './load.js';

describe('the error-code table', () => {
  it('has unique names and numbers', () => {
    const names = errorCodeList.map((info) => info.name);
    const numbers = errorCodeList.map((info) => info.number);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it('matches the ErrorCode enum of common.proto exactly, in both directions', () => {
    const protoEnum = loadProtocol().description.enums.get('ErrorCode');
    expect(protoEnum).toBeDefined();
    const fromProto = Object.fromEntries(protoEnum ?? []);
    const fromTable = Object.fromEntries(errorCodeList.map((info) => [info.name, info.number]));
    expect(fromProto).toEqual(fromTable);
  });

  it("uses Kafka's numbers where Kafka has the error, and 1000 and above for Eddy's own", () => {
    const kafka = {
      UNKNOWN_SERVER_ERROR: -1, NONE: 0, OFFSET_OUT_OF_RANGE: 1, CORRUPT_RECORD: 2, UNKNOWN_TOPIC_OR_PARTITION: 3,
      LEADER_NOT_AVAILABLE: 5, NOT_LEADER_OR_FOLLOWER: 6, REQUEST_TIMED_OUT: 7, BROKER_NOT_AVAILABLE: 8,
      MESSAGE_TOO_LARGE: 10, COORDINATOR_NOT_AVAILABLE: 15, NOT_COORDINATOR: 16, INVALID_TOPIC_EXCEPTION: 17,
      NOT_ENOUGH_REPLICAS: 19, NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20, ILLEGAL_GENERATION: 22, INCONSISTENT_GROUP_PROTOCOL: 23,
      UNKNOWN_MEMBER_ID: 25, INVALID_SESSION_TIMEOUT: 26, REBALANCE_IN_PROGRESS: 27, TOPIC_ALREADY_EXISTS: 36,
      INVALID_PARTITIONS: 37, INVALID_REPLICATION_FACTOR: 38, INVALID_REPLICA_ASSIGNMENT: 39, INVALID_CONFIG: 40,
      NOT_CONTROLLER: 41, INVALID_REQUEST: 42, OUT_OF_ORDER_SEQUENCE_NUMBER: 45, DUPLICATE_SEQUENCE_NUMBER: 46,
      INVALID_PRODUCER_EPOCH: 47, NON_EMPTY_GROUP: 68, GROUP_ID_NOT_FOUND: 69, FENCED_LEADER_EPOCH: 74,
      UNKNOWN_LEADER_EPOCH: 75, UNSUPPORTED_COMPRESSION_TYPE: 76, STALE_BROKER_EPOCH: 77, OFFSET_NOT_AVAILABLE: 78,
      MEMBER_ID_REQUIRED: 79, INVALID_RECORD: 87, INVALID_UPDATE_VERSION: 95, BROKER_ID_NOT_REGISTERED: 102,
      INCONSISTENT_CLUSTER_ID: 104, INELIGIBLE_REPLICA: 107, DUPLICATE_VOTER: 126, VOTER_NOT_FOUND: 127,
    } as const;
    for (const [name, number] of Object.entries(kafka)) expect(errorCodeByName(name)?.number, name).toBe(number);
    for (const info of errorCodeList) expect(info.number < 128 || info.number >= 1000, info.name).toBe(true);
  });

  it('has a message for every code and looks codes up both ways', () => {
    for (const info of errorCodeList) {
      expect(info.message.length, info.name).toBeGreaterThan(0);
      expect(errorCodeByNumber(info.number)).toBe(info);
      expect(errorCodeByName(info.name)).toBe(info);
    }
    expect(errorCodeByName('NO_SUCH_CODE')).toBeUndefined();
    expect(errorCodeByNumber(999)).toBeUndefined();
    expect(isErrorCodeName('NOT_CONTROLLER')).toBe(true);
    expect(isErrorCodeName('not_controller')).toBe(false);
  });
});

describe('toEddyError', () => {
  it('carries the code name, the retriable flag and the default message', () => {
    const error = toEddyError('NOT_LEADER_OR_FOLLOWER');
    expect(error).toBeInstanceOf(EddyError);
    expect(error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER', retriable: true, message: errorCodes.NOT_LEADER_OR_FOLLOWER.message });
    expect(toEddyError('TOPIC_ALREADY_EXISTS', 'topic t exists')).toMatchObject({ retriable: false, message: 'topic t exists' });
    expect(toEddyError(27)).toMatchObject({ code: 'REBALANCE_IN_PROGRESS' });
  });

  it('turns a number it does not know into UNKNOWN_SERVER_ERROR naming it', () => {
    const error = toEddyError(4242, 'something new');
    expect(error).toMatchObject({ code: 'UNKNOWN_SERVER_ERROR', retriable: false });
    expect(error.message).toContain('4242');
    expect(error.message).toContain('something new');
  });

  it('refuses NONE, which is not an error', () => {
    expect(() => toEddyError('NONE')).toThrow(AssertionError);
    expect(() => toEddyError(0)).toThrow(AssertionError);
  });
});

describe('wire errors', () => {
  it('keep the code and message of an EddyError a handler threw', () => {
    expect(toWireError(toEddyError('NOT_CONTROLLER', 'controller is 3'))).toEqual({ errorCode: 'NOT_CONTROLLER', errorMessage: 'controller is 3' });
  });

  it('turn unknown codes and foreign errors into UNKNOWN_SERVER_ERROR without a stack', () => {
    expect(toWireError(new EddyError('DISK_ON_FIRE', 'hot'))).toEqual({ errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: 'DISK_ON_FIRE: hot' });
    const wire = toWireError(new TypeError('x is undefined'));
    expect(wire).toEqual({ errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: 'x is undefined' });
    expect(toWireError('plain string')).toEqual({ errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: 'plain string' });
  });

  it('come back as EddyErrors, and NONE as no error', () => {
    expect(fromWireError(noError)).toBeUndefined();
    expect(fromWireError({ errorCode: 'ILLEGAL_GENERATION', errorMessage: 'generation 3 is not 4' })).toMatchObject({
      code: 'ILLEGAL_GENERATION',
      message: 'generation 3 is not 4',
      retriable: false,
    });
    expect(fromWireError({ errorCode: 'LEADER_NOT_AVAILABLE', errorMessage: '' })?.message).toBe(errorCodes.LEADER_NOT_AVAILABLE.message);
  });
});
