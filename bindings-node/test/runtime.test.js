'use strict'

// How the package behaves inside Node: calls run off the JS thread, many run at once, it works
// in worker_threads, and a Rust panic becomes a JS error instead of a crash or a stuck Promise.

const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { Client } = require('..')
const native = require('../native.js')
const { startMock } = require('./helpers/mock')

const PACKAGE = path.resolve(__dirname, '..')
const visitor = { phoneNumber: '+1 704 555 0100' }
let mock

before(async () => {
  mock = await startMock()
})
after(() => mock.stop())
beforeEach(() => mock.reset())

/** Rejects if `promise` has not settled within `ms`: a stuck Promise fails the test, not hangs it. */
function settlesWithin(promise, ms) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

test('100 concurrent calls all resolve, each with its own request id', async () => {
  const client = new Client(mock.options())
  const results = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      client.listeners.submitVisitor('l1', { phoneNumber: `70455501${String(i).padStart(2, '0')}` }),
    ),
  )
  assert.equal(new Set(results.map((r) => r.requestId)).size, 100)
  assert.equal((await mock.ledger()).counts.submit_visitor, 100)
})

test('100 concurrent calls mixing every operation and outcome all settle', async () => {
  const client = new Client(mock.options())
  const calls = Array.from({ length: 100 }, (_, i) => {
    switch (i % 5) {
      case 0:
        return client.listeners.submitVisitor('l1', visitor)
      case 1:
        return client.listeners.submitSalesforceVisitors('sf', [visitor, visitor])
      case 2:
        return client.listeners.submitLendingTreeLead('lt', '<Lead><Phone>7045550100</Phone></Lead>')
      case 3:
        return client.messages.send({ text: 'hi', visitor })
      default:
        return client.listeners.submitVisitor('l1', { phoneNumber: 'bad' })
    }
  })
  const outcomes = await settlesWithin(Promise.allSettled(calls), 20_000)
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 80)
  assert.ok(outcomes.filter((o) => o.status === 'rejected').every((o) => o.reason.code === 'VALIDATION'))
  assert.equal((await mock.ledger()).total, 80)
})

test('the event loop keeps running while a call waits on the network', async () => {
  await mock.fault({ action: 'delay', delay_ms: 800 })
  const client = new Client(mock.options())
  let ticks = 0
  let last = performance.now()
  let longestGap = 0
  const timer = setInterval(() => {
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
    ticks++
  }, 10)
  try {
    const started = performance.now()
    await client.listeners.submitVisitor('l1', visitor)
    const took = performance.now() - started
    assert.ok(took >= 750, `the delayed call took only ${took} ms`)
  } finally {
    clearInterval(timer)
  }
  // ~80 ticks if nothing blocks; a blocking call would give ~1.
  assert.ok(ticks >= 40, `only ${ticks} timer ticks during an 800 ms call`)
  assert.ok(longestGap < 250, `the timer was held up for ${longestGap} ms`)
})

test('the event loop keeps running through a large bulk submission', async () => {
  const client = new Client(mock.options({ batchSize: 1000, bulkConcurrency: 4 }))
  const visitors = Array.from({ length: 20_000 }, (_, i) => ({
    phoneNumber: `704555${String(i % 10_000).padStart(4, '0')}`,
    extendedAttributes: { index: i, source: 'bulk-test' },
  }))
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  let results
  const started = performance.now()
  try {
    results = await client.listeners.submitSalesforceVisitors('sf', visitors)
  } finally {
    clearInterval(timer)
  }
  const took = performance.now() - started
  assert.equal(results.length, 20_000)
  assert.equal((await mock.ledger()).counts.submit_salesforce_visitors, 20)
  // Serializing happens on the JS thread; parsing, validation and I/O must not, so the 5 ms
  // timer keeps firing (a quarter of its ideal rate leaves room for a loaded machine).
  assert.ok(ticks >= took / 20, `${ticks} ticks in ${took} ms`)
})

/** Runs `source` in a worker (with `PACKAGE` and `BASE_URL` in workerData) and returns what it posts. */
function runWorker(source, workerData) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { PACKAGE, BASE_URL: mock.url, ...workerData } })
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before answering`)))
  })
}

const WORKER_CALLS = `
  const { parentPort, workerData } = require('node:worker_threads')
  const { Client, ValidationError } = require(workerData.PACKAGE)
  const client = new Client({ appId: 'demo-app', apiKey: 'demo-key', baseUrl: workerData.BASE_URL })
  ;(async () => {
    const results = await Promise.all(
      Array.from({ length: workerData.calls }, () => client.listeners.submitVisitor('w', { phoneNumber: '7045550100' })),
    )
    const err = await client.listeners.submitVisitor('w', { phoneNumber: 5 }).catch((e) => e)
    parentPort.postMessage({
      ids: results.map((r) => r.requestId),
      validation: err instanceof ValidationError && err.fieldErrors[0].path,
    })
  })().catch((e) => parentPort.postMessage({ failed: String(e && e.stack) }))
`

test('works inside worker_threads, several at once and alongside the main thread', async () => {
  const mainClient = new Client(mock.options())
  const [a, b, mainResult] = await settlesWithin(
    Promise.all([
      runWorker(WORKER_CALLS, { calls: 10 }),
      runWorker(WORKER_CALLS, { calls: 10 }),
      mainClient.listeners.submitVisitor('main', visitor),
    ]),
    20_000,
  )
  for (const r of [a, b]) {
    assert.equal(r.failed, undefined, r.failed)
    assert.equal(r.ids.length, 10)
    assert.equal(r.validation, 'visitor.phoneNumber')
  }
  assert.equal(new Set([...a.ids, ...b.ids, mainResult.requestId]).size, 21)
  assert.equal((await mock.ledger()).counts.submit_visitor, 21)
})

test('a worker terminated while its calls are in flight does not take the process down', async () => {
  await mock.fault({ action: 'delay', delay_ms: 1000, times: 5 })
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
     const { Client } = require(workerData.PACKAGE)
     const client = new Client({ appId: 'demo-app', apiKey: 'demo-key', baseUrl: workerData.BASE_URL })
     for (let i = 0; i < 5; i++) client.listeners.submitVisitor('w', { phoneNumber: '7045550100' }).catch(() => {})
     parentPort.postMessage('started')`,
    { eval: true, workerData: { PACKAGE, BASE_URL: mock.url } },
  )
  assert.equal(await new Promise((resolve) => worker.once('message', resolve)), 'started')
  await new Promise((resolve) => setTimeout(resolve, 200))
  await worker.terminate()
  // Let the abandoned calls finish on the runtime after their JS environment is gone.
  await new Promise((resolve) => setTimeout(resolve, 1200))
  const client = new Client(mock.options())
  const result = await settlesWithin(client.listeners.submitVisitor('after', visitor), 5000)
  assert.equal(result.success, true)
})

test('a panic in a synchronous export becomes a thrown JS error', () => {
  assert.throws(() => native.__panicProbe('sync probe'), (err) => {
    assert.ok(err instanceof Error)
    assert.match(err.message, /sync probe/)
    return true
  })
})

test('a panic inside an async export rejects its Promise; it never stays pending', async () => {
  const results = await settlesWithin(
    Promise.allSettled(Array.from({ length: 5 }, (_, i) => native.__panicProbeAsync(`async probe ${i}`))),
    5000,
  )
  results.forEach((r, i) => {
    assert.equal(r.status, 'rejected')
    assert.match(r.reason.message, new RegExp(`async probe ${i}`))
  })
  // The runtime survives its panicking tasks.
  const client = new Client(mock.options())
  assert.equal((await client.listeners.submitVisitor('l1', visitor)).success, true)
})

test('clients are independent and can be dropped while idle', async () => {
  for (let i = 0; i < 20; i++) {
    const client = new Client(mock.options({ appId: i % 2 ? 'demo-app' : 'other-app', maxRetries: 0 }))
    await client.listeners.submitVisitor('l1', visitor).catch((e) => assert.equal(e.code, 'NOT_FOUND'))
  }
  if (global.gc) global.gc()
  assert.equal((await mock.ledger()).counts.submit_visitor, 20)
})
