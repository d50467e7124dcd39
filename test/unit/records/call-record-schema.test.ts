/**
 * Call records against their published JSON Schema (schema/call-records.schema.json): the file is what the zod
 * schemas in src/records/call-record.ts generate (rewrite it with UPDATE_SCHEMA=1), and records and webhook
 * bodies the builder and service make validate against the file itself (test/helpers/json-schema.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { callRecordsJsonSchema } from '../../../src/records/call-record.js';
import { validate } from '../../helpers/json-schema.js';
import { answeredCall, rejectedCall } from './record-fixtures.js';

const FILE = join(resolve(fileURLToPath(import.meta.url), '../../../..'), 'schema', 'call-records.schema.json');
const generated = `${JSON.stringify(callRecordsJsonSchema(), null, 2)}\n`;
if (process.env.UPDATE_SCHEMA === '1') writeFileSync(FILE, generated);
const file = JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown> & { $defs: Record<string, Record<string, unknown>> };
const RECORD = file.$defs.CallRecord;
const EVENT = file.$defs.WebhookEvent;

describe('the checked-in call records schema', () => {
  it('is what the zod schemas generate (run with UPDATE_SCHEMA=1 after changing them)', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(generated);
  });

  it('accepts the builder\'s records, answered (with a transfer) and refused', () => {
    for (const record of [answeredCall().record, rejectedCall().record]) expect(validate(file, record, RECORD)).toEqual([]);
  });

  it('refuses a record with a field missing, an extra field, a bad time or a bad endedBy', () => {
    const { record } = answeredCall();
    const { codec: _c, ...missing } = record;
    expect(validate(file, missing, RECORD)).toEqual(expect.arrayContaining([expect.stringContaining('missing "codec"')]));
    expect(validate(file, { ...record, extra: 1 }, RECORD)).toEqual(expect.arrayContaining([expect.stringContaining('unexpected field "extra"')]));
    expect(validate(file, { ...record, endedAt: '2026-12-05 10:00' }, RECORD)).not.toEqual([]);
    expect(validate(file, { ...record, endedBy: 'someone' }, RECORD)).not.toEqual([]);
  });

  it('accepts every webhook body the service sends and refuses an unknown type', () => {
    const { events } = answeredCall();
    expect(events.map((e) => e.type)).toEqual(['call.started', 'call.answered', 'call.transfer', 'call.ended']);
    for (const e of events) expect(validate(file, e, EVENT), e.type).toEqual([]);
    expect(validate(file, { ...events[0], type: 'call.dance' }, EVENT)).not.toEqual([]);
  });
});
