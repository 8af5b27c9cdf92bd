'use strict'

// Node.js side of the SDK benchmarks (driven by bench/run.sh; prints one JSON document).
//
//   node bench.js seq        --url BASE [--n N] [--warmup W] [--rounds R]
//       sequential keep-alive submitVisitor: the SDK vs the built-in fetch and undici.request
//   node bench.js concurrent --url BASE [--n N] [--concurrency 64] ...
//       64 Promises in flight: the SDK vs fetch and undici.request
//   node bench.js bulk       --url BASE [--count 100000]
//       visitors through submitSalesforceVisitors: wall time and peak RSS
//   node bench.js require    [--n 20]
//       require('botsplash') over a bare `node` (fresh processes, medians)
//
// Every answer is checked (HTTP 200 and a request id); bench/report.py refuses a run with
// errors. The payload is bench/payload.json, shared with every language.

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const APP_ID = 'demo-app'
const API_KEY = 'demo-key'

function parseArgs(argv) {
  const args = {
    mode: argv[0],
    url: '',
    payload: path.join(__dirname, '..', 'payload.json'),
    n: 5000,
    nSdk: 0,
    warmup: 500,
    rounds: 3,
    concurrency: 64,
    count: 100000,
  }
  const names = { '--url': 'url', '--payload': 'payload', '--n': 'n', '--n-sdk': 'nSdk', '--warmup': 'warmup',
    '--rounds': 'rounds', '--concurrency': 'concurrency', '--count': 'count' }
  for (let i = 1; i < argv.length; i += 2) {
    const key = names[argv[i]]
    if (!key || argv[i + 1] === undefined) throw new Error(`bad option ${argv[i]}`)
    args[key] = typeof args[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1]
  }
  if (!['seq', 'concurrent', 'bulk', 'require'].includes(args.mode)) {
    throw new Error('usage: node bench.js seq|concurrent|bulk|require --url BASE [...]')
  }
  if (args.mode !== 'require' && !args.url) throw new Error('--url is required')
  if (args.mode === 'require' && args.n === 5000) args.n = 20
  args.nSdk = args.nSdk || args.n
  return args
}

function summarize(latNs, seconds, cpuUs, errors, concurrency) {
  const lat = Float64Array.from(latNs).sort()
  const n = lat.length
  const pct = (p) => (n ? lat[Math.min(Math.max(Math.ceil(p * n), 1), n) - 1] / 1000 : 0) // nearest rank
  return {
    calls: n,
    seconds,
    calls_per_s: n / seconds,
    p50_us: pct(0.5),
    p99_us: pct(0.99),
    cpu_us_per_call: n ? cpuUs / n : 0,
    errors,
    concurrency,
  }
}

function cpuUs() {
  const u = process.cpuUsage()
  return u.user + u.system
}

// `concurrency` loops share `n` calls; `call()` resolves to whether the call succeeded.
async function timed(call, n, warmup, concurrency) {
  async function drive(count, lat, errors) {
    let remaining = count
    async function worker() {
      while (remaining > 0) {
        remaining--
        const t = process.hrtime.bigint()
        let ok
        try {
          ok = await call()
        } catch {
          ok = false
        }
        if (!ok) errors.count++
        if (lat) lat.push(Number(process.hrtime.bigint() - t))
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
  }
  const errors = { count: 0 }
  await drive(Math.max(warmup, concurrency), null, errors)
  const lat = []
  const cpu0 = cpuUs()
  const start = process.hrtime.bigint()
  await drive(n, lat, errors)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return summarize(lat, seconds, cpuUs() - cpu0, errors.count, concurrency)
}

function setup(args) {
  const payload = JSON.parse(fs.readFileSync(args.payload, 'utf8'))
  const base = args.url.replace(/\/$/, '')
  const url = `${base}/${APP_ID}/listener/botsplash/${payload.listener_id}?api_key=${API_KEY}`
  const headers = { 'content-type': 'application/json', accept: 'application/json' }
  const body = () => JSON.stringify({ visitor: payload.visitor, args: { message: payload.message } })
  return { payload, base, url, headers, body }
}

function cases(env) {
  const { Client } = require('botsplash')
  const undici = require('undici')
  const client = new Client({ appId: APP_ID, apiKey: API_KEY, baseUrl: env.base })
  const { listener_id: listener, visitor, message } = env.payload
  // undici.request's own pool (the one fetch uses is internal to Node's bundled copy).
  const dispatcher = new undici.Agent({ connections: 256 })
  return [
    ['node-sdk', 'Node botsplash Client', 'sdk', async () => {
      const r = await client.listeners.submitVisitor(listener, visitor, { message })
      return r.success && Boolean(r.requestId)
    }],
    ['node-fetch', 'fetch (built in)', 'baseline', async () => {
      const res = await fetch(env.url, { method: 'POST', headers: env.headers, body: env.body() })
      const data = await res.json()
      return res.status === 200 && Boolean(data.requestId)
    }],
    ['node-undici', 'undici.request', 'baseline', async () => {
      const res = await undici.request(env.url, { method: 'POST', headers: env.headers, body: env.body(), dispatcher })
      const data = await res.body.json()
      return res.statusCode === 200 && Boolean(data.requestId)
    }],
  ]
}

async function runCalls(args, suite, concurrency) {
  const env = setup(args)
  const list = cases(env)
  const rounds = list.map(() => [])
  for (let r = 0; r < args.rounds; r++) {
    for (let i = 0; i < list.length; i++) {
      const n = list[i][2] === 'sdk' ? args.nSdk : args.n
      rounds[i].push(await timed(list[i][3], n, args.warmup, concurrency))
    }
  }
  const suffix = concurrency > 1 ? `-${concurrency}` : ''
  return {
    suite,
    language: 'node',
    cases: list.map(([id, label, role], i) => ({
      id: id + suffix,
      label: concurrency > 1 ? `${label}, ${concurrency} concurrent` : label,
      role,
      language: 'node',
      concurrency,
      rounds: rounds[i],
    })),
  }
}

function rssNow() {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return line ? Number(line.split(/\s+/)[1]) * 1024 : 0
}

async function runBulk(args) {
  const env = setup(args)
  const { Client, BotsplashError } = require('botsplash')
  const client = new Client({ appId: APP_ID, apiKey: API_KEY, baseUrl: env.base })
  const rssStart = rssNow()
  // A generator, as rows come from a CSV or database stream (the SDK takes any iterable): the
  // peak RSS is then the SDK's own, not that of 100k objects the program built first.
  function* visitors() {
    for (let i = 0; i < args.count; i++) {
      yield {
        ...env.payload.visitor,
        phoneNumber: `+1704${String(i).padStart(7, '0')}`,
        clientVisitorId: `crm-${i}`,
        email: `lead${i}@example.com`,
      }
    }
  }
  const rssInput = rssNow()
  const start = process.hrtime.bigint()
  let accepted = 0
  let error = null
  try {
    const results = await client.listeners.submitSalesforceVisitors(env.payload.listener_id, visitors(), { message: env.payload.message })
    accepted = results.filter((r) => r.success).length
  } catch (err) {
    if (!(err instanceof BotsplashError)) throw err
    error = `${err.name}: ${err.message}`
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return {
    suite: 'bulk',
    language: 'node',
    cases: [{
      id: 'node-bulk',
      label: 'Node Client',
      language: 'node',
      visitors: args.count,
      accepted,
      error,
      seconds,
      rss_start_bytes: rssStart,
      rss_input_bytes: rssInput,
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      input: 'a generator of objects',
    }],
  }
}

function startupMs(argv) {
  const t = process.hrtime.bigint()
  execFileSync(process.execPath, argv, { cwd: __dirname, stdio: 'ignore' })
  return Number(process.hrtime.bigint() - t) / 1e6
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function runRequire(args) {
  const bare = ['-e', '']
  const loaded = ['-e', "require('botsplash')"]
  for (let i = 0; i < 3; i++) startupMs(loaded) // page cache
  const bareT = []
  const loadT = []
  for (let i = 0; i < args.n; i++) {
    bareT.push(startupMs(bare))
    loadT.push(startupMs(loaded))
  }
  const bareMs = median(bareT)
  const withMs = median(loadT)
  return {
    suite: 'startup',
    language: 'node',
    cases: [{
      id: 'node-require',
      label: "require('botsplash')",
      language: 'node',
      bare_ms: bareMs,
      with_ms: withMs,
      overhead_ms: withMs - bareMs,
      runs: args.n,
      what: `node -e "require('botsplash')" vs node -e "", median of ${args.n} each`,
    }],
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  let result
  if (args.mode === 'seq') result = await runCalls(args, 'sequential', 1)
  else if (args.mode === 'concurrent') result = await runCalls(args, 'concurrent', args.concurrency)
  else if (args.mode === 'bulk') result = await runBulk(args)
  else result = runRequire(args)
  process.stdout.write(JSON.stringify(result) + '\n')
  // Keep-alive sockets of fetch/undici would hold the process open until they time out.
  process.exit(0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
