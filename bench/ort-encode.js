// ort-encode.js: ONNX Runtime (npm's onnxruntime-node, CPU) encode throughput, for bench/compare.
//
// Reads preprocessed pixels (raw float32, N × 3 × S × S, written by
// clip-torch.py preprocess: CLIP's own transform), runs the exported vision
// encoder over them in batches, and prints one JSON object: steady-state ms
// per image for the encoder alone (session creation and one warm-up batch
// excluded; decode and preprocess are timed in Python and added by
// bench/compare). Also writes the first --check images' embeddings.
//
//   node ort-encode.js --modules DIR --onnx vision.onnx --pixels P.f32 --size 224 \
//        --batch 16 --threads 2 --check 2 --embeddings out.json
'use strict';

const fs = require('fs');
const path = require('path');

const MIN_SECONDS = 3.0;

function fail(message) {
  process.stderr.write(`ort-encode.js: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = {size: 224, batch: 16, threads: 2, check: 0};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (i + 1 >= argv.length) fail(`${argv[i]} needs a value`);
    args[name] = ['size', 'batch', 'threads', 'check'].includes(name) ? Number(argv[i + 1]) : argv[i + 1];
  }
  for (const needed of ['modules', 'onnx', 'pixels'])
    if (!args[needed]) fail(`--${needed} is needed`);
  return args;
}

function loadOrt(modules) {
  let entry;
  try {
    entry = require.resolve('onnxruntime-node', {paths: [modules]});
  } catch (e) {
    fail(`${modules}: onnxruntime-node is not installed there`);
  }
  const packageJson = path.join(entry.slice(0, entry.lastIndexOf('onnxruntime-node') + 16), 'package.json');
  return {ort: require(entry), version: JSON.parse(fs.readFileSync(packageJson, 'utf8')).version};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const {ort, version} = loadOrt(args.modules);
  const bytes = fs.readFileSync(args.pixels);
  const perImage = 3 * args.size * args.size;
  // A copy, so the floats are aligned whatever Buffer's pooling did.
  const pixels = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const count = pixels.length / perImage;
  if (!Number.isInteger(count) || count < 1)
    fail(`${args.pixels}: ${bytes.byteLength} bytes is not a whole number of ${args.size}×${args.size} images`);

  let session;
  try {
    session = await ort.InferenceSession.create(args.onnx, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      intraOpNumThreads: args.threads,
      interOpNumThreads: 1,
    });
  } catch (e) {
    fail(`${args.onnx}: ${e.message}`);
  }
  const input = session.inputNames[0], output = session.outputNames[0];

  async function encode(first, n) {
    const data = pixels.subarray(first * perImage, (first + n) * perImage);
    const tensor = new ort.Tensor('float32', data, [n, 3, args.size, args.size]);
    const result = await session.run({[input]: tensor});
    return result[output];
  }
  async function onePass() {
    for (let first = 0; first < count; first += args.batch)
      await encode(first, Math.min(args.batch, count - first));
  }

  await encode(0, Math.min(args.batch, count)); // warm-up
  let passes = 0, seconds = 0;
  const start = process.hrtime.bigint();
  do {
    await onePass();
    passes++;
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
  } while (seconds < MIN_SECONDS);

  if (args.check > 0 && args.embeddings) {
    const out = await encode(0, Math.min(args.check, count));
    const dim = out.dims[1], rows = [];
    for (let i = 0; i < out.dims[0]; i++) rows.push(Array.from(out.data.subarray(i * dim, (i + 1) * dim)));
    fs.writeFileSync(args.embeddings, JSON.stringify({embeddings: rows}));
  }
  process.stdout.write(JSON.stringify({
    onnxruntime_node: version,
    threads: args.threads,
    batch: args.batch,
    images: count,
    images_timed: passes * count,
    encode_ms_per_image: seconds * 1e3 / (passes * count),
  }) + '\n');
}

main().catch((e) => fail(e.message));
