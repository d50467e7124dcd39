/**
 * Prompt files (fallback announcements, hold audio) as the engine plays them: read and decoded once per file and
 * kept per rate, in whichever thread runs the call's media. Files are small and few (config names them), so the
 * cache never grows past the configured set.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { decodePrompt, int16ToL16Buffer, promptAt, type PromptAudio } from '../media/index.js';

const decoded = new Map<string, PromptAudio>();
const atRate = new Map<string, Buffer>();

/**
 * The prompt at `path` as L16 at `rate`.
 * @throws Error when the file cannot be read, RangeError when it is not a prompt the bridge plays (see media/prompt.ts).
 */
export function promptL16(path: string, rate: number): Buffer {
  const key = `${rate}:${path}`;
  const hit = atRate.get(key);
  if (hit) return hit;
  let prompt = decoded.get(path);
  if (!prompt) {
    prompt = decodePrompt(readFileSync(path), basename(path));
    decoded.set(path, prompt);
  }
  const pcm = int16ToL16Buffer(promptAt(prompt, rate));
  atRate.set(key, pcm);
  return pcm;
}

/**
 * Checks that `path` is a prompt the bridge can play (at startup, so a bad file fails the config, not a call).
 * Returns the problem, or undefined.
 */
export function checkPromptFile(path: string): string | undefined {
  try {
    const p = decodePrompt(readFileSync(path), basename(path));
    if (p.samples.length === 0) return `${path}: no audio`;
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Checks every named prompt file; one issue (field path and problem) per bad file. */
export function checkPromptFiles(files: ReadonlyArray<{ path: string; file: string }>): Array<{ path: string; message: string }> {
  return files.flatMap(({ path, file }) => {
    const problem = checkPromptFile(file);
    return problem ? [{ path, message: problem }] : [];
  });
}
