'use strict'

// Every error class, produced by the real failure it stands for, with the retries the mock's
// ledger says really happened.

const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const net = require('node:net')
const { Worker } = require('node:worker_threads')
const botsplash = require('..')
const {
  Client,
  BotsplashError,
  ConfigError,
  ValidationError,
  AuthenticationError,
  NotFoundError,
  RateLimitError,
  APIError,
  APITimeoutError,
  APIConnectionError,
  DecodeError,
  PartialBulkError,
} = botsplash
const { startMock } = require('./helpers/mock')

const visitor = { phoneNumber: '+1 704 555 0100' }
let mock

before(async () => {
  mock = await startMock(['--listener', 'known', '--listener', 'sf'])
})
after(() => mock.stop())
beforeEach(() => mock.reset())

/** The error `promise` rejects with, checked to be `Cls` with the common fields well-formed. */
async function rejection(promise, Cls, code) {
  const err = await promise.then(
    (value) => assert.fail(`expected ${Cls.name}, got ${JSON.stringify(value)}`),
    (e) => e,
  )
  assert.ok(err instanceof Cls, `expected ${Cls.name}, got ${err && err.stack}`)
  assert.ok(err instanceof BotsplashError)
  assert.ok(err instanceof Error)
  assert.equal(err.name, Cls.name)
  assert.equal(err.code, code)
  assert.equal(typeof err.message, 'string')
  assert.ok(err.stack.startsWith(`${Cls.name}: `), err.stack)
  assert.equal(typeof err.retries, 'number')
  assert.equal(typeof err.outcomeUnknown, 'boolean')
  assert.ok(Array.isArray(err.fieldErrors))
  const json = JSON.parse(JSON.stringify(err))
  assert.equal(json.name, Cls.name)
  assert.equal(json.code, code)
  assert.equal(json.message, err.message)
  return err
}

const opCount = async (op) => (await mock.ledger()).counts[op] ?? 0

test('every class has its DESIGN.md code and derives from BotsplashError', () => {
  const expected = {
    ConfigError: 'CONFIG',
    ValidationError: 'VALIDATION',
    AuthenticationError: 'AUTHENTICATION',
    NotFoundError: 'NOT_FOUND',
    RateLimitError: 'RATE_LIMITED',
    APIError: 'API',
    APITimeoutError: 'TIMEOUT',
    APIConnectionError: 'CONNECTION',
    DecodeError: 'DECODE',
    PartialBulkError: 'PARTIAL',
  }
  for (const [name, code] of Object.entries(expected)) {
    const Cls = botsplash[name]
    const err = new Cls('boom')
    assert.ok(err instanceof BotsplashError && err instanceof Error, name)
    assert.equal(err.name, name)
    assert.equal(err.code, code)
    assert.equal(err.status, null)
    assert.equal(err.retries, 0)
  }
  assert.ok(!(new ConfigError('x') instanceof ValidationError))
})

test('AuthenticationError: 401, not retried', async () => {
  const client = new Client(mock.options({ apiKey: 'not-the-key' }))
  const err = await rejection(client.listeners.submitVisitor('known', visitor), AuthenticationError, 'AUTHENTICATION')
  assert.equal(err.status, 401)
  assert.match(err.requestId, /\S/)
  assert.equal(err.retries, 0)
  assert.equal(err.outcomeUnknown, false)
  const { requests } = await mock.ledger()
  assert.equal(requests.length, 1)
  assert.equal(requests[0].auth, 'invalid')
})

test('NotFoundError: unknown app and unknown listener', async () => {
  const wrongApp = new Client(mock.options({ appId: 'other-app' }))
  const err = await rejection(wrongApp.messages.send({ text: 'hi', visitor }), NotFoundError, 'NOT_FOUND')
  assert.equal(err.status, 404)

  const client = new Client(mock.options())
  const err2 = await rejection(client.listeners.submitVisitor('unknown-listener', visitor), NotFoundError, 'NOT_FOUND')
  assert.equal(err2.status, 404)
  assert.equal(err2.retries, 0)
  assert.equal(await opCount('submit_visitor'), 1)
})

test('429s are retried as Retry-After says, and every retry reaches the server', async () => {
  await mock.fault({ action: 'status', status: 429, retry_after: '0', times: 2 })
  const client = new Client(mock.options({ maxRetries: 2 }))
  const result = await client.listeners.submitVisitor('known', visitor)
  assert.equal(result.success, true)
  assert.equal(await opCount('submit_visitor'), 3)
})

test('RateLimitError after maxRetries, with retries counted and retryAfter in seconds', async () => {
  await mock.fault({ action: 'status', status: 429, retry_after: '0', times: 3 })
  const client = new Client(mock.options({ maxRetries: 1 }))
  const err = await rejection(client.listeners.submitVisitor('known', visitor), RateLimitError, 'RATE_LIMITED')
  assert.equal(err.status, 429)
  assert.equal(err.retries, 1)
  assert.equal(err.retryAfter, 0)
  assert.equal(err.outcomeUnknown, false)
  assert.equal(await opCount('submit_visitor'), 2)
})

test('RateLimitError at once when Retry-After is longer than the SDK waits', async () => {
  await mock.fault({ action: 'status', status: 429, retry_after: '120' })
  const client = new Client(mock.options())
  const started = performance.now()
  const err = await rejection(client.messages.send({ text: 'hi', visitor }), RateLimitError, 'RATE_LIMITED')
  assert.ok(performance.now() - started < 5000)
  assert.equal(err.retryAfter, 120)
  assert.equal(err.retries, 0)
  assert.equal(await opCount('send_message'), 1)
})

test('APIError: a 5xx is not retried by default and reports an unknown outcome', async () => {
  await mock.fault({ action: 'status', status: 503, body: JSON.stringify({ message: 'maintenance' }) })
  const client = new Client(mock.options())
  const err = await rejection(client.listeners.submitVisitor('known', visitor), APIError, 'API')
  assert.equal(err.status, 503)
  assert.equal(err.outcomeUnknown, true)
  assert.equal(err.retries, 0)
  assert.match(err.message, /maintenance/)
  assert.equal(await opCount('submit_visitor'), 1)
})

test('retryUnknownOutcome retries a 5xx', async () => {
  await mock.fault({ action: 'status', status: 502, times: 2 })
  const client = new Client(mock.options({ retryUnknownOutcome: true, maxRetries: 1 }))
  const err = await rejection(client.listeners.submitVisitor('known', visitor), APIError, 'API')
  assert.equal(err.retries, 1)
  assert.equal(err.status, 502)
  assert.equal(await opCount('submit_visitor'), 2)
})

test('APIError for a 4xx carries the server message', async () => {
  await mock.fault({ action: 'status', status: 422, body: JSON.stringify({ message: 'listener is paused' }) })
  const client = new Client(mock.options())
  const err = await rejection(client.listeners.submitVisitor('known', visitor), APIError, 'API')
  assert.equal(err.status, 422)
  assert.equal(err.outcomeUnknown, false)
  assert.match(err.message, /listener is paused/)
})

test('APITimeoutError when no answer comes within timeoutMs; not retried', async () => {
  await mock.fault({ action: 'delay', delay_ms: 3000 })
  const client = new Client(mock.options({ timeoutMs: 300 }))
  const started = performance.now()
  const err = await rejection(client.listeners.submitVisitor('known', visitor), APITimeoutError, 'TIMEOUT')
  const took = performance.now() - started
  assert.ok(took >= 250 && took < 2500, `took ${took} ms`)
  assert.equal(err.outcomeUnknown, true)
  assert.equal(err.retries, 0)
  assert.equal(await opCount('submit_visitor'), 1)
})

test('connectTimeoutMs: a connection that cannot be made in time is a timeout that never reached the server', async (t) => {
  // A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs.
  // The worker blocks its own event loop so nothing ever accepts.
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads')
     const server = require('node:net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port)
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
     })`,
    { eval: true },
  )
  t.after(() => worker.terminate())
  const port = await new Promise((resolve) => worker.once('message', resolve))
  const fillers = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1').on('error', () => {}))
  t.after(() => fillers.forEach((s) => s.destroy()))
  await new Promise((resolve) => setTimeout(resolve, 100))

  const client = new Client(mock.options({ baseUrl: `http://127.0.0.1:${port}`, connectTimeoutMs: 300, maxRetries: 0 }))
  const started = performance.now()
  const err = await rejection(client.listeners.submitVisitor('known', visitor), APITimeoutError, 'TIMEOUT')
  const took = performance.now() - started
  assert.ok(took >= 250 && took < 3000, `took ${took} ms`)
  assert.match(err.message, /could not connect/)
  assert.equal(err.outcomeUnknown, false)
})

test('APIConnectionError when nothing listens; connection failures are retried', async () => {
  const port = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
  const client = new Client(mock.options({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 }))
  const err = await rejection(client.listeners.submitVisitor('known', visitor), APIConnectionError, 'CONNECTION')
  assert.equal(err.retries, 1)
  assert.equal(err.outcomeUnknown, false)
  assert.equal(err.status, null)
})

test('APIConnectionError with an unknown outcome when the server drops the connection after reading', async () => {
  await mock.fault({ action: 'drop_after_read' })
  const client = new Client(mock.options())
  const err = await rejection(client.listeners.submitVisitor('known', visitor), APIConnectionError, 'CONNECTION')
  assert.equal(err.outcomeUnknown, true)
  assert.equal(err.retries, 0)
  assert.equal(await opCount('submit_visitor'), 1)
})

test('DecodeError when a 2xx answer is not the documented JSON', async () => {
  await mock.fault({ action: 'malformed_json' })
  const client = new Client(mock.options())
  const err = await rejection(client.listeners.submitVisitor('known', visitor), DecodeError, 'DECODE')
  assert.equal(err.status, 200)
  assert.equal(err.outcomeUnknown, true)
  assert.match(err.requestId, /\S/)
})

test('PartialBulkError says which visitors were confirmed and which were not', async () => {
  // Batch 1 passes (a zero delay uses up the first fault), batch 2 gets a 500.
  await mock.fault(
    { operation: 'submit_salesforce_visitors', action: 'delay', delay_ms: 0 },
    { operation: 'submit_salesforce_visitors', action: 'status', status: 500 },
  )
  const client = new Client(mock.options({ batchSize: 2, bulkConcurrency: 1 }))
  const visitors = Array.from({ length: 5 }, (_, i) => ({ phoneNumber: `704555010${i}` }))
  const err = await rejection(client.listeners.submitSalesforceVisitors('sf', visitors), PartialBulkError, 'PARTIAL')
  assert.equal(err.results.length, 5)
  assert.equal(err.results[0].success, true)
  assert.match(err.results[1].requestId, /\S/)
  assert.deepEqual(err.results.slice(2), [null, null, null])
  assert.deepEqual(err.unconfirmed, [2, 3, 4])
  assert.equal(err.causeCode, 'API')
  assert.equal(err.status, 500)
  assert.equal(err.outcomeUnknown, true)
  assert.match(err.message, /2 of 5 visitors accepted/)

  // The confirmed ids are the ones the server gave the first batch; the third never went.
  const { requests } = await mock.ledger()
  assert.equal(requests.length, 2)
  assert.deepEqual(
    err.results.slice(0, 2).map((r) => r.requestId),
    requests[0].request_ids,
  )
  const json = JSON.parse(JSON.stringify(err))
  assert.deepEqual(json.unconfirmed, [2, 3, 4])
})

test('a bulk whose first batch fails is the plain error, not a partial one', async () => {
  await mock.fault({ operation: 'submit_salesforce_visitors', action: 'status', status: 403 })
  const client = new Client(mock.options({ batchSize: 2, bulkConcurrency: 1 }))
  const visitors = Array.from({ length: 3 }, (_, i) => ({ phoneNumber: `704555010${i}` }))
  await rejection(client.listeners.submitSalesforceVisitors('sf', visitors), AuthenticationError, 'AUTHENTICATION')
})

test('ValidationError lists every field with its path and sends nothing', async () => {
  const client = new Client(mock.options())
  const err = await rejection(
    client.listeners.submitSalesforceVisitors('sf', [
      { phoneNumber: '7045550100' },
      { phoneNumber: '123', email: 'not-an-email' },
      { phoneNumber: '7045550100', state: 'ZZ' },
      { phoneNumber: '7045550100', tzName: 'Mars/Olympus' },
    ]),
    ValidationError,
    'VALIDATION',
  )
  assert.deepEqual(
    err.fieldErrors.map((f) => f.path),
    ['visitors[1].phoneNumber', 'visitors[1].email', 'visitors[2].state', 'visitors[3].tzName'],
  )
  for (const f of err.fieldErrors) assert.deepEqual(Object.keys(f), ['path', 'message'])
  assert.equal(err.status, null)
  assert.equal(err.outcomeUnknown, false)
  assert.equal((await mock.ledger()).total, 0)
})
