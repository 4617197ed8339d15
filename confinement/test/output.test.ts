// The output cleaner: what a hook prints must reach the task log and the terminal as plain text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanBytes, cleanText, LineSplitter, OutputCollector } from '../src';

const ESC = '\x1b';

test('cleanText removes every control sequence and control character, keeping text, tab and newline', () => {
  const cases: [string, string, string][] = [
    ['plain text', 'hello, world', 'hello, world'],
    ['tab and newline stay', 'a\tb\nc', 'a\tb\nc'],
    ['CSI colour', `${ESC}[1;31mred${ESC}[0m`, 'red'],
    ['CSI clear screen and cursor home', `${ESC}[2J${ESC}[Hx`, 'x'],
    ['CSI private mode', `${ESC}[?1049hy`, 'y'],
    ['CSI with intermediate byte', `${ESC}[1 qz`, 'z'],
    ['CSI cut short', `a${ESC}[12`, 'a'],
    ['OSC title ended by BEL', `${ESC}]0;pwned\x07after`, 'after'],
    ['OSC hyperlink ended by ST', `${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\`, 'link'],
    ['OSC never ended', `before${ESC}]52;c;aGk=`, 'before'],
    ['DCS string', `${ESC}Pq#0;2;0;0;0${ESC}\\ok`, 'ok'],
    ['APC and PM strings', `${ESC}_apc${ESC}\\${ESC}^pm${ESC}\\ok`, 'ok'],
    ['two-byte escapes', `${ESC}c${ESC}7${ESC}(Bok${ESC}8`, 'ok'],
    ['lone ESC at the end', `ok${ESC}`, 'ok'],
    ['C1 CSI (U+009B)', '\u009b31mred', 'red'],
    ['C1 OSC (U+009D) ended by C1 ST', '\u009d0;t\u009cok', 'ok'],
    ['other C1 controls', 'a\u0085b\u008dc', 'abc'],
    ['C0 controls, carriage return, DEL', 'a\x00b\x07c\x08d\re\x7ff', 'abcdef'],
    ['an ESC ends the sequence before it', `${ESC}${ESC}[[31m`, '31m'],
    ['unicode text stays', 'héllo ✓ 日本', 'héllo ✓ 日本'],
  ];
  for (const [what, input, want] of cases) assert.equal(cleanText(input), want, what);
});

test('cleanBytes replaces invalid UTF-8, so a raw C1 byte never reaches a terminal', () => {
  assert.equal(cleanBytes(Buffer.from([0x61, 0x9b, 0x32, 0x4a, 0x62])), 'a\ufffd2Jb');
  assert.equal(cleanBytes(Buffer.from([0xc3, 0x28])), '\ufffd(');
  assert.equal(cleanBytes(Buffer.from([0xc2, 0x9b, 0x32, 0x4a])), '', 'C1 CSI encoded as UTF-8 is removed');
});

test('LineSplitter joins lines across chunks, cuts endless lines, and keeps the last line without newline', () => {
  const got: [string, number][] = [];
  const s = new LineSplitter((line, bytes) => got.push([cleanBytes(line), bytes]), 8);
  s.push(Buffer.from('ab'));
  s.push(Buffer.from(`c\n${ESC}[31`));
  s.push(Buffer.from('mred\n\n0123456789'));
  s.push(Buffer.from([0xe2, 0x9c]));
  s.push(Buffer.from([0x93]));
  s.end();
  assert.deepEqual(got, [['abc', 4], ['red', 9], ['', 1], ['01234567', 8], ['89✓', 5]]);
});

test('OutputCollector keeps the newest bytes in arrival order, tagged by stream, and counts the rest', () => {
  const c = new OutputCollector(10);
  c.push('stdout', Buffer.from('one\n'));
  c.push('stderr', Buffer.from('two\n'));
  c.push('stdout', Buffer.from('three\nfour'));
  assert.deepEqual(c.finish(), {
    lines: [{ stream: 'stdout', text: 'three' }, { stream: 'stdout', text: 'four' }],
    droppedBytes: 8,
  });
  const d = new OutputCollector();
  d.push('stderr', Buffer.from('oops'));
  d.push('stdout', Buffer.from('fine\n'));
  assert.deepEqual(d.finish(), { lines: [{ stream: 'stdout', text: 'fine' }, { stream: 'stderr', text: 'oops' }], droppedBytes: 0 });
});

test('no input, however hostile, leaves a control character in the cleaned text', () => {
  let seed = 9; // a fixed LCG, so a failure reproduces
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  // Bytes weighted toward ESC, C1 lead bytes and sequence characters, where mistakes would hide.
  const alphabet = [0x1b, 0x1b, 0x9b, 0xc2, 0x9b, 0x9d, 0x07, 0x5b, 0x5d, 0x5c, 0x50, 0x3b, 0x30, 0x6d, 0x0a, 0x0d, 0x41, 0x7f];
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(Array.from({ length: next() % 64 }, () => (next() % 4 === 0 ? next() % 256 : alphabet[next() % alphabet.length])));
    assert.doesNotMatch(cleanBytes(bytes), /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, bytes.toString('hex'));
  }
});

test('OutputCollector: a cap of 0 keeps nothing, and a bad cap is refused', () => {
  const c = new OutputCollector(0);
  c.push('stdout', Buffer.from('a\nb'));
  c.push('stderr', Buffer.from('c\n'));
  assert.deepEqual(c.finish(), { lines: [], droppedBytes: 5 });
  assert.throws(() => new OutputCollector(-1), TypeError);
});
