import { describe, expect, it } from 'vitest';
import { loadProtocol } from './load.js';
import { enumSchemas, type MessageSchemaTable, type Messages, messageSchemas } from './schema.js';
import { serviceSchemas } from './services.js';

// The TypeScript side (interfaces, checked against these manifests at compile time) must say
// exactly what proto/eddy/v1 says. Every difference is listed, so one run shows all drift.
const { description } = loadProtocol();

function token(field: { readonly repeated: boolean; readonly type: string }): string {
  return field.repeated ? `repeated ${field.type}` : field.type;
}

describe('the TypeScript manifests match proto/eddy/v1', () => {
  it('declare the same messages', () => {
    expect(Object.keys(messageSchemas).sort()).toEqual([...description.messages.keys()].sort());
  });

  it('give every message the same fields with the same types', () => {
    const drift: string[] = [];
    for (const [name, message] of description.messages) {
      const schema: Readonly<Record<string, string>> = messageSchemas[name as keyof typeof messageSchemas] ?? {};
      const fromProto = Object.fromEntries(message.fields.map((field) => [field.name, token(field)]));
      for (const [field, type] of Object.entries(fromProto)) {
        if (schema[field] !== type) drift.push(`${name}.${field}: proto ${type}, TypeScript ${schema[field] ?? 'missing'}`);
      }
      for (const field of Object.keys(schema)) if (!(field in fromProto)) drift.push(`${name}.${field}: not in the proto`);
    }
    expect(drift).toEqual([]);
  });

  it('declare the same enums with the same values', () => {
    const fromProto = Object.fromEntries([...description.enums].map(([name, values]) => [name, Object.fromEntries(values)]));
    expect(fromProto).toEqual(enumSchemas);
  });

  it('declare the same services and RPCs', () => {
    const fromProto = Object.fromEntries(
      [...description.services].map(([service, methods]) => [
        service,
        Object.fromEntries([...methods].map(([method, m]) => [method, { kind: m.kind, request: m.request, response: m.response }])),
      ]),
    );
    expect(fromProto).toEqual(serviceSchemas);
    for (const [service, methods] of description.services) {
      for (const [method, m] of methods) expect(m.path).toBe(`/eddy.v1.${service}/${method}`);
    }
  });

  it('use only what the typed layer models: no oneof, map, nested type or proto3 optional', () => {
    const unmodelled = [...description.messages]
      .filter(([, message]) => message.oneofCount > 0 || message.nestedTypeCount > 0)
      .map(([name]) => name);
    expect(unmodelled).toEqual([]);
  });

  it('keep enum zero values meaning "unspecified" (unknown values decode to them)', () => {
    for (const [name, values] of description.enums) {
      const zero = [...values].find(([, number]) => number === 0)?.[0];
      expect(zero, name).toBe(name === 'ErrorCode' ? 'NONE' : `${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}_UNSPECIFIED`);
    }
  });
});

describe('the compile-time check', () => {
  it('rejects a manifest whose types do not decode to the interface', () => {
    interface Sample {
      offset: bigint;
      leader: number;
      endpoint: Messages['BrokerEndpoint'] | null;
      states: Messages['PartitionMetadata']['state'][];
    }
    const right: MessageSchemaTable<{ Sample: Sample }> = {
      Sample: { offset: 'int64', leader: 'int32', endpoint: 'BrokerEndpoint', states: 'repeated PartitionState' },
    };
    const wrong: MessageSchemaTable<{ Sample: Sample }> = {
      Sample: {
        // @ts-expect-error int32 decodes to number, not bigint
        offset: 'int32',
        // @ts-expect-error int64 decodes to bigint, not number
        leader: 'int64',
        // @ts-expect-error a repeated field decodes to an array
        endpoint: 'repeated BrokerEndpoint',
        // @ts-expect-error another enum
        states: 'repeated ReplicaState',
      },
    };
    expect(right.Sample.offset).toBe('int64');
    expect(wrong.Sample.offset).toBe('int32');
  });
});
