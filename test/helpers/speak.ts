/**
 * `node test/helpers/speak.ts <out.wav> <text>`: real Vietnamese speech from eSpeak NG, compiled to
 * WebAssembly (the npm `espeak-ng` package), so that tests need no system package to make audio.
 * A command of its own because the WebAssembly build is asynchronous and test fixtures are made synchronously.
 */
import { writeFileSync } from 'node:fs';
import ESpeakNg from 'espeak-ng';

const [out, text] = process.argv.slice(2);
if (!out || !text) throw new Error('usage: node test/helpers/speak.ts <out.wav> <text>');
const espeak = await ESpeakNg({ arguments: ['-v', 'vi', '-s', '150', '-w', 'speech.wav', text] });
writeFileSync(out, espeak.FS.readFile('speech.wav'));
