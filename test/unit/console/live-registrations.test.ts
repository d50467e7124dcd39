import { describe, expect, it } from 'vitest';
import { applyRegistrationEvent, registrationRow, type RegistrationStates } from '../../../console/src/live-registrations.js';

const pbx = { pbx: { state: 'registering' } };

describe('registration states kept from the event stream', () => {
  it.each<[string, RegistrationStates, string, unknown, RegistrationStates]>([
    ['a snapshot replaces them', pbx, 'snapshot', { calls: [], registrations: [{ name: 'desk', state: 'registered', node: 'b' }] }, { desk: { state: 'registered', node: 'b' } }],
    ['a snapshot without registrations empties them', pbx, 'snapshot', { calls: [] }, {}],
    ['a snapshot skips malformed entries', {}, 'snapshot', { registrations: [{ name: 'a' }, { state: 'x' }, null, { name: 'b', state: 'failed' }] }, { b: { state: 'failed' } }],
    ['a registration event sets one', pbx, 'registration', { name: 'pbx', state: 'registered' }, { pbx: { state: 'registered' } }],
    ['with its node in a cluster', pbx, 'registration', { name: 'pbx', state: 'registered', node: 'node-a' }, { pbx: { state: 'registered', node: 'node-a' } }],
    ['a new registration is added', pbx, 'registration', { name: 'desk', state: 'failed' }, { ...pbx, desk: { state: 'failed' } }],
    ['a malformed registration event changes nothing', pbx, 'registration', { name: 'pbx' }, pbx],
    ['call events change nothing', pbx, 'call.updated', { callId: 'c1' }, pbx],
  ])('%s', (_name, before, event, data, after) => {
    expect(applyRegistrationEvent(before, event, data)).toEqual(after);
  });

  it('returns the same object for events that change nothing (the page does not redraw each second)', () => {
    expect(applyRegistrationEvent(pbx, 'call.updated', { callId: 'c1' })).toBe(pbx);
  });

  it.each([
    ['the live state and node win', { name: 'pbx', state: 'registering', node: 'a' }, { pbx: { state: 'registered', node: 'b' } }, { state: 'registered', node: 'b' }],
    ['without a live state, the loaded one', { name: 'pbx', state: 'failed', node: 'a' }, {}, { state: 'failed', node: 'a' }],
    ['a live state without a node keeps the loaded node', { name: 'pbx', state: 'failed', node: 'a' }, { pbx: { state: 'registered' } }, { state: 'registered', node: 'a' }],
    ['nothing known', { name: 'pbx' }, {}, { state: undefined, node: undefined }],
  ])('a row: %s', (_name, item, states, want) => {
    expect(registrationRow(item, states)).toEqual(want);
  });
});
