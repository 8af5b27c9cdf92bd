'use strict'

// Cancellation with AbortSignal, with fetch's semantics: an already aborted signal rejects
// with its reason and sends nothing; an abort during a call rejects at once with the reason
// and drops the native operation (its connection closes); listeners never accumulate on a
// long-lived signal. The mock's ledger shows what reached the server.

const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const readline = require('node:readline')
const { spawn } = require('node:child_process')
const { getEventListeners } = require('node:events')
const { Client, ValidationError, APIError } = require('..')
const { startMock } = require('./helpers/mock')

const PACKAGE = path.resolve(__dirname, '..')
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const XML = '<LeadInformation><Phone>7045550100</Phone></LeadInformation>'
const visitor = { phoneNumber: '7045550100' }
let mock
let client

// An aborted call leaves its native Promise to settle on its own; that must never surface.
const unhandled = []
const onUnhandled = (reason) => unhandled.push(reason)

before(async () => {
  process.on('unhandledRejection', onUnhandled)
  mock = await startMock()
  client = new Client(mock.options())
})
after(async () => {
  await mock.stop()
  process.off('unhandledRejection', onUnhandled)
  assert.deepEqual(unhandled, [])
})
beforeEach(() => mock.reset())

/** Every operation, called with `options` merged into its options (or params) object. */
const OPERATIONS = {
  submitVisitor: (c, options) => c.listeners.submitVisitor('l1', visitor, { message: 'hi', ...options }),
  submitSalesforceVisitors: (c, options) => c.listeners.submitSalesforceVisitors('sf', [visitor, visitor], { message: 'hi', ...options }),
  submitLendingTreeLead: (c, options) => c.listeners.submitLendingTreeLead('lt', XML, options),
  send: (c, options) => c.messages.send({ text: 'hi', visitor: { clientVisitorId: 'c1' }, ...options }),
}

async function rejection(promise) {
  return promise.then(
    (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
    (err) => err,
  )
}

/** Waits until the mock has recorded `n` requests (it records them before any fault delay). */
async function arrived(n) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const ledger = await mock.ledger()
    if (ledger.total >= n) return ledger
    if (Date.now() > deadline) assert.fail(`the mock recorded ${ledger.total} requests, expected ${n}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const listeners = (signal) => getEventListeners(signal, 'abort').length

test('every operation accepts a signal and works as without one; no listener is left', async () => {
  const controller = new AbortController()
  const { signal } = controller
  const one = await OPERATIONS.submitVisitor(client, { signal })
  assert.equal(one.success, true)
  assert.match(one.requestId, UUID)
  const many = await OPERATIONS.submitSalesforceVisitors(client, { signal })
  assert.equal(many.length, 2)
  assert.ok(many.every((r) => r.success && UUID.test(r.requestId)))
  const lead = await OPERATIONS.submitLendingTreeLead(client, { signal })
  assert.equal(lead.status, 200)
  assert.match(lead.xml, /<Status>Success<\/Status>/)
  assert.equal(await OPERATIONS.send(client, { signal }), undefined)
  // null and undefined mean no signal, as for fetch.
  await OPERATIONS.submitVisitor(client, { signal: null })
  await OPERATIONS.submitLendingTreeLead(client, { signal: undefined })

  const { counts, requests } = await mock.ledger()
  assert.deepEqual(counts, { submit_visitor: 2, submit_salesforce_visitors: 1, submit_lendingtree_lead: 2, send_message: 1 })
  assert.deepEqual(requests[0].request_ids, [one.requestId])
  assert.deepEqual(requests[1].body, { visitors: [visitor, visitor], args: { message: 'hi' } })
  assert.equal(listeners(signal), 0)
  assert.equal(signal.aborted, false)
})

test('an already aborted signal rejects with its reason and sends nothing', async () => {
  for (const [name, op] of Object.entries(OPERATIONS)) {
    const signal = AbortSignal.abort()
    const err = await rejection(op(client, { signal }))
    assert.equal(err, signal.reason, name)
    assert.ok(err instanceof DOMException, name)
    assert.equal(err.name, 'AbortError', name)
    assert.equal(listeners(signal), 0, name)
  }
  // Not even the input of a bulk submission is read.
  let pulled = 0
  function* rows() {
    for (;;) {
      pulled++
      yield visitor
    }
  }
  const signal = AbortSignal.abort('stop')
  assert.equal(await rejection(client.listeners.submitSalesforceVisitors('sf', rows(), { signal })), 'stop')
  assert.equal(pulled, 0)
  // An invalid visitor is not even validated: the abort wins, nothing is checked or sent.
  assert.equal(await rejection(client.listeners.submitVisitor('l1', { phoneNumber: '1' }, { signal })), 'stop')
  assert.equal((await mock.ledger()).total, 0)
})

test('argument TypeErrors come before the abort, as with fetch', async () => {
  const signal = AbortSignal.abort()
  await assert.rejects(client.listeners.submitVisitor(42, visitor, { signal }), { name: 'TypeError', message: /^listenerId must be a string/ })
  await assert.rejects(client.listeners.submitSalesforceVisitors('sf', 7, { signal }), { name: 'TypeError', message: /^visitors must be/ })
  await assert.rejects(client.listeners.submitLendingTreeLead('lt', XML, { signal, mesage: 'x' }), { name: 'TypeError', message: /unknown field "mesage"; it takes signal$/ })
  assert.equal((await mock.ledger()).total, 0)
})

test('an abort during a delayed call rejects at once with the reason; the request had arrived', async () => {
  await mock.fault({ action: 'delay', delay_ms: 2000 })
  const controller = new AbortController()
  const settled = rejection(client.listeners.submitVisitor('l1', visitor, { signal: controller.signal }))
  const ledger = await arrived(1)
  // The server has it: an abort after sending does not undo the request.
  assert.equal(ledger.requests[0].operation, 'submit_visitor')
  assert.equal(ledger.requests[0].accepted, true)
  assert.equal(listeners(controller.signal), 1)

  const start = performance.now()
  controller.abort()
  const err = await settled
  const ms = performance.now() - start
  assert.ok(ms < 100, `rejected ${ms.toFixed(1)} ms after the abort`)
  assert.equal(err, controller.signal.reason)
  assert.equal(err.name, 'AbortError')
  assert.equal(listeners(controller.signal), 0)

  // The abandoned connection is not reused: the next call gets its own answer, at once (the
  // delayed answer of the aborted request is still 2 s away and must not be read as this one's).
  const t = performance.now()
  const next = await client.listeners.submitVisitor('l1', visitor)
  assert.ok(performance.now() - t < 1000)
  const { total, requests } = await mock.ledger()
  assert.equal(total, 2)
  assert.deepEqual(requests[1].request_ids, [next.requestId])
  assert.notDeepEqual(requests[0].request_ids, [next.requestId])
})

test('an abort drops the native operation: its connection closes and nothing keeps Node alive', async () => {
  // In a child process, whose only sockets are the SDK's: a native call still in flight would
  // both keep its connection open and keep the process alive until the answer (8 s away).
  const script = `
    const fs = require('node:fs')
    const { Client } = require(process.argv[1])
    const url = process.argv[2]
    const port = Number(new URL(url).port)
    function connections() {
      const mine = new Set()
      for (const fd of fs.readdirSync('/proc/self/fd')) {
        try {
          const m = /^socket:\\[(\\d+)\\]$/.exec(fs.readlinkSync('/proc/self/fd/' + fd))
          if (m) mine.add(m[1])
        } catch {}
      }
      let n = 0
      for (const line of fs.readFileSync('/proc/self/net/tcp', 'utf8').split('\\n').slice(1)) {
        const f = line.trim().split(/\\s+/)
        if (f.length > 9 && parseInt(f[2].split(':')[1], 16) === port && f[3] === '01' && mine.has(f[9])) n++
      }
      return n
    }
    const client = new Client({ appId: 'demo-app', apiKey: 'demo-key', baseUrl: url })
    const controller = new AbortController()
    const call = client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }, { signal: controller.signal }).then(
      () => 'resolved', (err) => err.name)
    console.log('started')
    process.stdin.once('data', async () => {
      process.stdin.destroy()
      const before = connections()
      controller.abort()
      const outcome = await call
      let after = connections()
      for (let i = 0; i < 100 && after > 0; i++) {
        await new Promise((r) => setTimeout(r, 10))
        after = connections()
      }
      console.log(JSON.stringify({ before, after, outcome }))
    })
  `
  await mock.fault({ action: 'delay', delay_ms: 8000 })
  const child = spawn(process.execPath, ['-e', script, PACKAGE, mock.url], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  assert.equal((await lines.next()).value, 'started')
  await arrived(1)
  const abortedAt = performance.now()
  child.stdin.end('abort\n')
  const report = JSON.parse((await lines.next()).value)
  assert.equal(await exited, 0)
  const ms = performance.now() - abortedAt
  assert.deepEqual(report, { before: 1, after: 0, outcome: 'AbortError' })
  assert.ok(ms < 4000, `the child exited ${ms.toFixed(0)} ms after the abort`)
})

test('the reason passes through as given: an Error, any value, a timeout', async () => {
  for (const reason of [new Error('shutting down'), 'stop', 42, { why: 'user' }]) {
    await mock.fault({ action: 'delay', delay_ms: 2000 })
    const controller = new AbortController()
    const settled = rejection(client.listeners.submitVisitor('l1', visitor, { signal: controller.signal }))
    await arrived(1)
    controller.abort(reason)
    assert.equal(await settled, reason)
    await mock.reset()
  }
  await mock.fault({ action: 'delay', delay_ms: 2000 })
  const start = performance.now()
  const err = await rejection(client.messages.send({ text: 'hi', visitor: { clientVisitorId: 'c1' }, signal: AbortSignal.timeout(100) }))
  const ms = performance.now() - start
  assert.ok(err instanceof DOMException)
  assert.equal(err.name, 'TimeoutError')
  assert.ok(ms >= 90 && ms < 1000, `rejected after ${ms.toFixed(0)} ms`)
})

test('a duck-typed signal (a polyfill, another realm) works', async () => {
  class PolyfillSignal extends EventTarget {
    aborted = false
    reason = undefined
    abort(reason) {
      this.aborted = true
      this.reason = reason
      this.dispatchEvent(new Event('abort'))
    }
  }
  const signal = new PolyfillSignal()
  assert.equal((await OPERATIONS.submitVisitor(client, { signal })).success, true)
  await mock.fault({ action: 'delay', delay_ms: 2000 })
  const settled = rejection(OPERATIONS.submitLendingTreeLead(client, { signal }))
  await arrived(2)
  signal.abort('polyfill reason')
  assert.equal(await settled, 'polyfill reason')
  assert.equal(listeners(signal), 0)
})

test('anything but an AbortSignal is a TypeError naming signal; nothing is sent', async () => {
  const bad = [
    ['yes', 'a string'],
    [1, 'a number'],
    [true, 'a boolean'],
    [{}, 'an object'],
    [[], 'an array'],
    [() => {}, 'a function'],
    [new EventTarget(), 'an object'],
    [{ aborted: false }, 'an object'],
    [{ aborted: 'false', addEventListener() {}, removeEventListener() {} }, 'an object'],
    [new AbortController(), 'an object'],
  ]
  for (const [name, op] of Object.entries(OPERATIONS)) {
    for (const [value, described] of bad) {
      const err = await rejection(op(client, { signal: value }))
      assert.ok(err instanceof TypeError, `${name}: ${err}`)
      assert.equal(err.message, `signal must be an AbortSignal, not ${described}`, name)
    }
  }
  assert.equal((await mock.ledger()).total, 0)
})

test('a long-lived signal reused for 10,000 calls keeps no listener', async () => {
  const { signal } = new AbortController()
  const pending = client.listeners.submitVisitor('l1', visitor, { signal })
  assert.equal(listeners(signal), 1)
  await pending
  for (let i = 1; i < 10_000; i++) await client.listeners.submitVisitor('l1', visitor, { signal })
  assert.equal(listeners(signal), 0)
  // Failures remove theirs too: a validation error, and an API error.
  await assert.rejects(client.listeners.submitVisitor('l1', { phoneNumber: '1' }, { signal }), ValidationError)
  await mock.fault({ action: 'status', status: 400 })
  await assert.rejects(client.messages.send({ text: 'hi', signal }), APIError)
  await assert.rejects(client.listeners.submitSalesforceVisitors('sf', [{}], { signal }), ValidationError)
  assert.equal(listeners(signal), 0)
  assert.equal((await mock.ledger()).total, 10_001)
})

test('concurrent calls on one signal share one listener: no MaxListeners warning', async () => {
  const warnings = []
  const onWarning = (w) => warnings.push(w)
  process.on('warning', onWarning)
  try {
    const { signal } = new AbortController()
    const calls = Array.from({ length: 100 }, (_, i) =>
      i % 2 ? OPERATIONS.submitVisitor(client, { signal }) : OPERATIONS.send(client, { signal }),
    )
    assert.equal(listeners(signal), 1)
    await Promise.all(calls)
    assert.equal(listeners(signal), 0)

    // One abort rejects every call in flight on the signal, each with the reason.
    await mock.fault({ action: 'delay', delay_ms: 2000, times: 20 })
    const controller = new AbortController()
    const inFlight = Array.from({ length: 20 }, () => rejection(OPERATIONS.submitVisitor(client, { signal: controller.signal })))
    await arrived(120)
    controller.abort()
    for (const err of await Promise.all(inFlight)) assert.equal(err, controller.signal.reason)
    assert.equal(listeners(controller.signal), 0)
    // Let a warning, if any, be emitted (it goes out on the next tick).
    await new Promise((r) => setImmediate(r))
  } finally {
    process.off('warning', onWarning)
  }
  assert.deepEqual(warnings.map(String), [])
})

test('an abort after the call settled changes nothing', async () => {
  const controller = new AbortController()
  const result = await OPERATIONS.submitVisitor(client, { signal: controller.signal })
  controller.abort()
  assert.equal(result.success, true)
  await new Promise((r) => setImmediate(r))
  assert.equal((await mock.ledger()).total, 1)
})

test('an abort while a bulk reads its input stops reading and sends nothing', async () => {
  const controller = new AbortController()
  let pulled = 0
  let closed = false
  function* rows() {
    try {
      for (let i = 0; i < 5000; i++) {
        pulled++
        if (i === 1700) controller.abort()
        yield { phoneNumber: `+1704${String(i).padStart(7, '0')}` }
      }
    } finally {
      closed = true
    }
  }
  const err = await rejection(client.listeners.submitSalesforceVisitors('sf', rows(), { signal: controller.signal }))
  assert.equal(err, controller.signal.reason)
  // Reading stops right after the visitor during which the signal fired, and the caller's
  // generator is closed (its finally ran).
  assert.equal(pulled, 1701)
  assert.equal(closed, true)
  assert.equal(listeners(controller.signal), 0)
  await new Promise((r) => setTimeout(r, 100))
  assert.equal((await mock.ledger()).total, 0)
})

test('an abort while a bulk is sending stops it: no further batch is sent', async () => {
  const c = new Client(mock.options({ batchSize: 5, bulkConcurrency: 1 }))
  await mock.fault({ operation: 'submit_salesforce_visitors', action: 'delay', delay_ms: 1000 })
  const controller = new AbortController()
  const visitors = Array.from({ length: 15 }, (_, i) => ({ phoneNumber: `+1704555${String(i).padStart(4, '0')}` }))
  const settled = rejection(c.listeners.submitSalesforceVisitors('sf', visitors, { signal: controller.signal }))
  await arrived(1)
  const start = performance.now()
  controller.abort()
  assert.equal(await settled, controller.signal.reason)
  assert.ok(performance.now() - start < 100)
  // The first batch arrived (and was processed: its record is lost to the caller). Had the
  // submission gone on, the next batch would go out when the first one's answer came (1 s);
  // it never does.
  await new Promise((r) => setTimeout(r, 1500))
  const { total, requests } = await mock.ledger()
  assert.equal(total, 1)
  assert.equal(requests[0].body.visitors.length, 5)
  assert.equal(requests[0].accepted, true)
})

test("with a signal, an SDK error still carries the caller's async frames in its stack", async () => {
  const { signal } = new AbortController()
  async function importLeadsForTheStackTrace() {
    await client.listeners.submitVisitor('l1', { phoneNumber: '1' }, { signal })
  }
  const err = await rejection(importLeadsForTheStackTrace())
  assert.ok(err instanceof ValidationError)
  assert.match(err.stack, /at async Listeners\.submitVisitor/)
  assert.match(err.stack, /at async importLeadsForTheStackTrace/)
})

test('a signal that aborts while the answer is on its way still rejects the call', async () => {
  // The answer has left the native side when `aborted` turns true; the 'abort' event (which
  // would drop the native operation) never comes. Once a signal has aborted, no call on it
  // resolves, as with fetch.
  const signal = Object.assign(new EventTarget(), { aborted: false, reason: undefined })
  await mock.fault({ action: 'delay', delay_ms: 300 })
  const pending = client.listeners.submitVisitor('l1', visitor, { signal })
  await arrived(1)
  signal.aborted = true
  signal.reason = 'late'
  assert.equal(await rejection(pending), 'late')
  assert.equal(listeners(signal), 0)
  assert.equal((await mock.ledger()).requests[0].accepted, true)
})
