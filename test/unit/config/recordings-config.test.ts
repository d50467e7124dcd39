/**
 * `recordings` and the `recording` mode of numbers, trunks and bots: defaults, which mode a call gets, the consent
 * prompt among the checked prompt files, and every refusal named at its field.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, promptFiles, recordingModeFor } from '../../../src/config/index.js';
import { issuesOf } from '../../helpers/config-issues.js';


const BASE = (recordings: string, trunk = '', numbers = '', bot = ''): string => `
bots:
  b: { url: "ws://h/"${bot} }
  echo: { builtin: echo }
inboundTrunks:
  - name: t
    allow: [127.0.0.1]
    bot: b
${trunk}    numbers:
      "+1000": { bot: b${numbers} }
      "+2000": { bot: echo }
${recordings}`;

describe('recordings', () => {
  it('defaults: wav at 16 kHz under {date}/{callId}.{ext}, no retention, no prompt', () => {
    const cfg = parseConfig(BASE('recordings: { dir: /var/rec }\n'));
    expect(cfg.recordings).toEqual({ dir: '/var/rec', pattern: '{date}/{callId}.{ext}', format: 'wav', sampleRate: 16000 });
    expect(parseConfig(BASE('')).recordings).toBeUndefined();
  });

  it.each([
    { name: 'number beats trunk and bot', trunk: '    recording: always\n', number: ', recording: on-demand', bot: ', recording: always', num: '+1000', want: 'on-demand' },
    { name: 'trunk beats bot', trunk: '    recording: off\n', number: '', bot: ', recording: always', num: '+1000', want: 'off' },
    { name: 'the bot when the trunk and number say nothing', trunk: '', number: '', bot: ', recording: always', num: '+1000', want: 'always' },
    { name: 'off by default', trunk: '', number: '', bot: '', num: '+2000', want: 'off' },
  ])('mode: $name', ({ trunk, number, bot, num, want }) => {
    const cfg = parseConfig(BASE('recordings: { dir: /var/rec }\n', trunk, number, bot));
    expect(recordingModeFor(cfg, 't', num, num === '+1000' ? 'b' : 'echo')).toBe(want);
  });

  it('the consent prompt is checked with the other prompt files', () => {
    const cfg = parseConfig(BASE('recordings: { dir: /var/rec, consentPrompt: /srv/consent.wav }\n'));
    expect(promptFiles(cfg)).toContainEqual({ path: 'recordings.consentPrompt', file: '/srv/consent.wav' });
  });

  it.each([
    { what: 'a mode without recordings (trunk)', text: BASE('', '    recording: always\n'), path: 'inboundTrunks[0].recording', message: /needs a "recordings" section/ },
    { what: 'a mode without recordings (number)', text: BASE('', '', ', recording: on-demand'), path: 'inboundTrunks[0].numbers["+1000"].recording', message: /needs a "recordings" section/ },
    { what: 'a mode without recordings (bot)', text: BASE('', '', '', ', recording: always'), path: 'bots.b.recording', message: /needs a "recordings" section/ },
    { what: 'an unknown mode', text: BASE('recordings: { dir: /r }\n', '    recording: sometimes\n'), path: 'inboundTrunks[0].recording', message: /off, always, on-demand/ },
    { what: 'a pattern without {callId}', text: BASE('recordings: { dir: /r, pattern: "{date}.wav" }\n'), path: 'recordings.pattern', message: /\{callId\}/ },
    { what: 'a pattern leaving dir', text: BASE('recordings: { dir: /r, pattern: "../{callId}.wav" }\n'), path: 'recordings.pattern', message: /inside recordings.dir/ },
    { what: 'an unknown placeholder', text: BASE('recordings: { dir: /r, pattern: "{trunk}/{callId}.wav" }\n'), path: 'recordings.pattern', message: /only \{date\}/ },
    { what: 'a rate', text: BASE('recordings: { dir: /r, sampleRate: 44100 }\n'), path: 'recordings.sampleRate', message: /8000 or 16000/ },
    { what: 'a format', text: BASE('recordings: { dir: /r, format: mp3 }\n'), path: 'recordings.format', message: /wav or ogg/ },
    { what: 'retention', text: BASE('recordings: { dir: /r, retentionDays: 0 }\n'), path: 'recordings.retentionDays', message: /./ },
    { what: 'an unknown key', text: BASE('recordings: { dir: /r, bucket: s3 }\n'), path: 'recordings.bucket', message: /./ },
  ])('$what is refused at $path', ({ text, path, message }) => {
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0].message).toMatch(message);
  });
});
