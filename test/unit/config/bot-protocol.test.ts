/** `bots.<name>.protocol`, `.parameters` and `.encoding`: what parses, and every refusal named at its field. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';
import { issuesOf } from '../../helpers/config-issues.js';

function bots(entry: string): string {
  return `bots:\n  b: ${entry}\n`;
}


describe('bot protocol config', () => {
  it.each([
    ['native by default: no protocol field, the bot rate kept', '{ url: "ws://h/" , sampleRate: 24000 }', { url: 'ws://h/', sampleRate: 24000, headers: {}, connectTimeoutMs: 3000 }],
    ['native said out loud is the same', '{ url: "ws://h/", protocol: native }', { url: 'ws://h/', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000 }],
    ['twilio: 8 kHz whatever the default', '{ url: "ws://h/", protocol: twilio }', { url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'twilio' }],
    ['twilio with sampleRate 8000 and parameters', '{ url: "ws://h/", protocol: twilio, sampleRate: 8000, parameters: { tenant: acme, _pipecatCloudServiceHost: "x.y" } }', {
      url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'twilio', parameters: { tenant: 'acme', _pipecatCloudServiceHost: 'x.y' },
    }],
    ['telnyx: PCMU unless told', '{ url: "ws://h/", protocol: telnyx }', { url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'telnyx', encoding: 'PCMU' }],
    ['telnyx PCMA', '{ url: "ws://h/", protocol: telnyx, encoding: PCMA }', { url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'telnyx', encoding: 'PCMA' }],
    ['native with parameters', '{ url: "ws://h/", parameters: { tenant: acme } }', { url: 'ws://h/', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000, parameters: { tenant: 'acme' } }],
    ['plivo: 8 kHz μ-law', '{ url: "ws://h/", protocol: plivo, parameters: { tenant: acme } }', { url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'plivo', parameters: { tenant: 'acme' } }],
    ['exotel: 8 kHz unless told (Exotel\'s and Pipecat\'s default)', '{ url: "ws://h/", protocol: exotel }', { url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'exotel' }],
    ['exotel at 16 kHz', '{ url: "ws://h/", protocol: exotel, sampleRate: 16000 }', { url: 'ws://h/', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000, protocol: 'exotel' }],
    ['exotel at 24 kHz', '{ url: "ws://h/", protocol: exotel, sampleRate: 24000 }', { url: 'ws://h/', sampleRate: 24000, headers: {}, connectTimeoutMs: 3000, protocol: 'exotel' }],
    ['vonage: 16 kHz unless told', '{ url: "ws://h/", protocol: vonage }', { url: 'ws://h/', sampleRate: 16000, headers: {}, connectTimeoutMs: 3000, protocol: 'vonage' }],
    ['vonage at 8 kHz', '{ url: "ws://h/", protocol: vonage, sampleRate: 8000 }', { url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'vonage' }],
    ['jambonz: 8 kHz unless told (listen\'s default)', '{ url: "ws://h/", protocol: jambonz }', { url: 'ws://h/', sampleRate: 8000, headers: {}, connectTimeoutMs: 3000, protocol: 'jambonz' }],
    ['jambonz at 24 kHz', '{ url: "ws://h/", protocol: jambonz, sampleRate: 24000 }', { url: 'ws://h/', sampleRate: 24000, headers: {}, connectTimeoutMs: 3000, protocol: 'jambonz' }],
  ])('%s', (_name, entry, expected) => {
    expect(parseConfig(bots(entry)).bots.b).toEqual(expected);
  });

  it.each([
    ['an unknown protocol', '{ url: "ws://h/", protocol: sip }', 'bots.b.protocol', /must be one of: native, twilio, telnyx, plivo, exotel, vonage, jambonz$/],
    ['plivo at 16 kHz', '{ url: "ws://h/", protocol: plivo, sampleRate: 16000 }', 'bots.b.sampleRate', /plivo carries 8000 Hz G.711/],
    ['vonage at 24 kHz', '{ url: "ws://h/", protocol: vonage, sampleRate: 24000 }', 'bots.b.sampleRate', /vonage carries 8000 or 16000 Hz/],
    ['exotel at 12 kHz', '{ url: "ws://h/", protocol: exotel, sampleRate: 12000 }', 'bots.b.sampleRate', /8000, 16000 or 24000/],
    ['encoding on an exotel bot', '{ url: "ws://h/", protocol: exotel, encoding: PCMU }', 'bots.b.encoding', /only for protocol telnyx/],
    ['twilio at 16 kHz', '{ url: "ws://h/", protocol: twilio, sampleRate: 16000 }', 'bots.b.sampleRate', /twilio carries 8000 Hz/],
    ['telnyx at 24 kHz', '{ url: "ws://h/", protocol: telnyx, sampleRate: 24000 }', 'bots.b.sampleRate', /telnyx carries 8000 Hz/],
    ['encoding on a twilio bot', '{ url: "ws://h/", protocol: twilio, encoding: PCMA }', 'bots.b.encoding', /only for protocol telnyx/],
    ['encoding on a native bot', '{ url: "ws://h/", encoding: PCMU }', 'bots.b.encoding', /only for protocol telnyx/],
    ['an unknown encoding', '{ url: "ws://h/", protocol: telnyx, encoding: G722 }', 'bots.b.encoding', /PCMU or PCMA/],
    ['a parameter that is not a string', '{ url: "ws://h/", parameters: { n: [1] } }', 'bots.b.parameters.n', /string/],
    ['protocol on the echo bot', '{ builtin: echo, protocol: twilio }', 'bots.b.protocol', /not allowed for a builtin bot/],
    ['parameters on the echo bot', '{ builtin: echo, parameters: { a: b } }', 'bots.b.parameters', /not allowed for a builtin bot/],
  ])('refuses %s at its field', (_name, entry, path, message) => {
    const issue = issuesOf(bots(entry)).find((i) => i.path === path);
    expect(issue, `an issue at ${path}`).toBeDefined();
    expect(issue?.message).toMatch(message);
  });
});
