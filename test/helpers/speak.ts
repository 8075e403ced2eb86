/**
 * `node test/helpers/speak.ts <out.wav> <text>`: real Vietnamese speech from eSpeak NG, compiled to
 * WebAssembly (the npm `espeak-ng` package), so that tests need no system package to make audio.
 * A command of its own because the WebAssembly build is asynchronous and test fixtures are made synchronously.
 *
 * The speech is padded with silence to a whole number of seconds (at least half a second after the last word), so
 * that every fixture made from it has a length that is fixed here, not by whichever ffmpeg encodes it.
 */
import { writeFileSync } from 'node:fs';
import ESpeakNg from 'espeak-ng';
import { wavHeader } from './wav.ts';

const [out, text] = process.argv.slice(2);
if (!out || !text) throw new Error('usage: node test/helpers/speak.ts <out.wav> <text>');
const espeak = await ESpeakNg({ arguments: ['-v', 'vi', '-s', '150', '-w', 'speech.wav', text] });
writeFileSync(out, padded(Buffer.from(espeak.FS.readFile('speech.wav'))));

/** eSpeak's 16-bit mono PCM WAV, its samples followed by silence up to a whole number of seconds. */
function padded(wav: Buffer): Buffer {
  const rate = wav.readUInt32LE(24);
  const data = wav.indexOf('data', 12, 'latin1');
  if (
    wav.toString('latin1', 0, 4) !== 'RIFF' ||
    wav.readUInt16LE(34) !== 16 ||
    wav.readUInt16LE(22) !== 1 ||
    data < 0
  ) {
    throw new Error('eSpeak NG wrote an unexpected WAV');
  }
  const samples = wav.subarray(data + 8);
  const seconds = Math.ceil(samples.length / 2 / rate + 0.5);
  const body = Buffer.alloc(seconds * rate * 2);
  samples.copy(body);
  return Buffer.concat([wavHeader(body.length, rate), body]);
}
