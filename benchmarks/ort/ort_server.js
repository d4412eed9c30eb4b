// ort_server.js - ONNX Runtime (npm onnxruntime-node) as a timing server
// for bench-runtime, which drives it over stdin/stdout, one command a line:
//
//   load ID MODEL.onnx THREADS [PROFILE_PREFIX]
//        -> "ok CREATE_MS" (session creation, graph optimisation included)
//   input ID NAME f32|i64 DIMS(AxBxC) FILE.bin
//        -> "ok"           (raw little-endian values, read once)
//   run ID N               -> "ok T1 T2 ... TN" (each call's wall time, ms)
//   profile ID             -> "ok FILE.json" (ends profiling, see `load`)
//   drop ID                -> "ok"
//   memory                 -> "ok KIB" (this process's peak resident set,
//                             VmHWM: its own, not inherited across exec)
//   quit
//
// Any failure answers "error MESSAGE" on one line and the server goes on.
// Sessions use THREADS intra-op threads, one inter-op thread, sequential
// execution and every graph optimisation, as ONNX Runtime's users run it.
'use strict';
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const ort = require('onnxruntime-node');

const sessions = new Map(); // ID -> { session, feeds }

function tensorFrom(dtype, dims, file) {
  const bytes = fs.readFileSync(file);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  if (dtype === 'f32') return new ort.Tensor('float32', new Float32Array(buf), dims);
  if (dtype === 'i64') return new ort.Tensor('int64', new BigInt64Array(buf), dims);
  throw new Error(`unknown dtype ${dtype}`);
}

function peakRssKiB() {
  const m = /VmHWM:\s*(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function handle(words) {
  const [cmd, id] = words;
  if (cmd === 'memory') return `ok ${peakRssKiB()}`;
  if (cmd === 'load') {
    const [, , model, threads, prefix] = words;
    const options = {
      intraOpNumThreads: Number(threads), interOpNumThreads: 1,
      executionMode: 'sequential', graphOptimizationLevel: 'all',
    };
    if (prefix) Object.assign(options, { enableProfiling: true, profileFilePrefix: prefix });
    const t0 = process.hrtime.bigint();
    const session = await ort.InferenceSession.create(model, options);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    sessions.set(id, { session, feeds: {}, prefix });
    return `ok ${ms.toFixed(3)}`;
  }
  const s = sessions.get(id);
  if (!s) throw new Error(`no session ${id}`);
  if (cmd === 'input') {
    const [, , name, dtype, dims, file] = words;
    s.feeds[name] = tensorFrom(dtype, dims.split('x').map(Number), file);
    return 'ok';
  }
  if (cmd === 'run') {
    const times = [];
    for (let i = 0; i < Number(words[2]); ++i) {
      const t0 = process.hrtime.bigint();
      await s.session.run(s.feeds);
      times.push((Number(process.hrtime.bigint() - t0) / 1e6).toFixed(4));
    }
    return `ok ${times.join(' ')}`;
  }
  if (cmd === 'profile') {
    // The binding writes PREFIX_<date>.json and returns nothing: the newest
    // such file is this session's.
    s.session.endProfiling();
    const dir = path.dirname(s.prefix), base = path.basename(s.prefix);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
      .map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    if (!files.length) throw new Error(`no profile ${s.prefix}*.json`);
    return `ok ${files[0]}`;
  }
  if (cmd === 'drop') {
    await s.session.release();
    sessions.delete(id);
    return 'ok';
  }
  throw new Error(`unknown command ${cmd}`);
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
let queue = Promise.resolve();
rl.on('line', (line) => {
  const words = line.trim().split(/\s+/);
  if (words[0] === 'quit') { rl.close(); return; }
  queue = queue.then(() => handle(words))
    .then((answer) => process.stdout.write(answer + '\n'))
    .catch((e) => process.stdout.write(`error ${String(e.message || e).replace(/\n/g, ' ')}\n`));
});
rl.on('close', () => queue.then(() => process.exit(0)));
process.stdout.write('ready ' + require('onnxruntime-node/package.json').version + '\n');
