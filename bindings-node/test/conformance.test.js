'use strict'

// The Node.js runner of the shared conformance cases (`conformance/cases/*.json`, format in
// `conformance/README.md`), through the package's public API. A case key this runner does not
// understand fails that case: nothing is skipped.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const net = require('node:net')
const path = require('node:path')
const botsplash = require('..')
const { startMock } = require('./helpers/mock')

const CASES = path.resolve(__dirname, '..', '..', 'conformance', 'cases')

// DESIGN.md's kinds (snake_case, as the cases spell them) and what Node calls them.
const KINDS = {
  config: ['CONFIG', botsplash.ConfigError],
  validation: ['VALIDATION', botsplash.ValidationError],
  authentication: ['AUTHENTICATION', botsplash.AuthenticationError],
  not_found: ['NOT_FOUND', botsplash.NotFoundError],
  rate_limited: ['RATE_LIMITED', botsplash.RateLimitError],
  api: ['API', botsplash.APIError],
  timeout: ['TIMEOUT', botsplash.APITimeoutError],
  connection: ['CONNECTION', botsplash.APIConnectionError],
  decode: ['DECODE', botsplash.DecodeError],
  partial_bulk: ['PARTIAL', botsplash.PartialBulkError],
}

// Case config keys (snake_case) and the Node option each one is.
const OPTIONS = {
  app_id: 'appId',
  api_key: 'apiKey',
  username: 'username',
  password: 'password',
  api_key_in: 'apiKeyIn',
  base_url: 'baseUrl',
  timeout_ms: 'timeoutMs',
  connect_timeout_ms: 'connectTimeoutMs',
  max_retries: 'maxRetries',
  retry_unknown_outcome: 'retryUnknownOutcome',
  batch_size: 'batchSize',
  bulk_concurrency: 'bulkConcurrency',
}

function checkKeys(obj, allowed, what) {
  for (const key of Object.keys(obj)) assert.ok(allowed.includes(key), `unknown key ${JSON.stringify(key)} in ${what}`)
}

let mock
let closedUrl
const savedEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BOTSPLASH_')))

function clearEnv() {
  for (const name of Object.keys(process.env)) if (name.startsWith('BOTSPLASH_')) delete process.env[name]
}

before(async () => {
  mock = await startMock()
  closedUrl = await new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(`http://127.0.0.1:${port}`))
    })
  })
})
after(async () => {
  clearEnv()
  Object.assign(process.env, savedEnv)
  await mock.stop()
})

const substitute = (value) => (value === '$MOCK' ? mock.url : value === '$CLOSED' ? closedUrl : value)

function clientOptions(config) {
  checkKeys(config, Object.keys(OPTIONS), 'config')
  const options = {}
  for (const [key, value] of Object.entries(config)) options[OPTIONS[key]] = key === 'base_url' ? substitute(value) : value
  // The mock is the default peer, unless the case configures the URL through the environment.
  if (options.baseUrl === undefined && process.env.BOTSPLASH_BASE_URL === undefined) options.baseUrl = mock.url
  return options
}

async function call(client, operation, args) {
  checkKeys(args, ['listener_id', 'visitor', 'visitors', 'message', 'xml', 'text'], 'args')
  const opts = args.message === undefined ? undefined : { message: args.message }
  switch (operation) {
    case 'submit_visitor':
      return client.listeners.submitVisitor(args.listener_id, args.visitor, opts)
    case 'submit_salesforce_visitors':
      return client.listeners.submitSalesforceVisitors(args.listener_id, args.visitors, opts)
    case 'submit_lendingtree_lead':
      return client.listeners.submitLendingTreeLead(args.listener_id, args.xml)
    case 'send_message':
      return client.messages.send({ text: args.text, visitor: args.visitor })
    default:
      assert.fail(`unknown operation ${JSON.stringify(operation)}`)
  }
}

const acceptedIds = (ledger) => ledger.requests.filter((r) => r.accepted).flatMap((r) => r.request_ids)

function checkResult(want, operation, result, ledger) {
  switch (operation) {
    case 'submit_visitor':
      checkKeys(want, ['success'], 'expect.result')
      assert.equal(result.success, want.success)
      assert.equal(result.requestId, acceptedIds(ledger).at(-1), 'the request id is the one the server recorded')
      break
    case 'submit_salesforce_visitors':
      checkKeys(want, ['count'], 'expect.result')
      assert.equal(result.length, want.count)
      assert.deepEqual(result.map((r) => r.requestId).sort(), acceptedIds(ledger).sort())
      break
    case 'submit_lendingtree_lead':
      checkKeys(want, ['status', 'xml_contains'], 'expect.result')
      assert.equal(result.status, want.status)
      assert.ok(result.xml.includes(want.xml_contains ?? ''), result.xml)
      break
    default:
      checkKeys(want, [], 'expect.result')
      assert.equal(result, undefined)
  }
}

function checkError(want, err) {
  checkKeys(
    want,
    ['kind', 'status', 'outcome_unknown', 'retries', 'field_paths', 'message_contains', 'retry_after', 'unconfirmed', 'accepted_indices', 'cause'],
    'expect.error',
  )
  assert.ok(KINDS[want.kind], `unknown kind ${want.kind}`)
  const [code, Cls] = KINDS[want.kind]
  assert.ok(err instanceof Cls, `expected ${Cls.name}, got ${err && err.stack}`)
  assert.ok(err instanceof botsplash.BotsplashError)
  assert.equal(err.code, code)
  assert.equal(err.status, want.status, 'status')
  assert.equal(err.outcomeUnknown, want.outcome_unknown, 'outcomeUnknown')
  assert.equal(err.retries, want.retries, 'retries')
  if ('field_paths' in want) assert.deepEqual(err.fieldErrors.map((f) => f.path), want.field_paths)
  if ('message_contains' in want) assert.ok(err.message.includes(want.message_contains), err.message)
  if ('retry_after' in want) assert.equal(err.retryAfter, want.retry_after, 'retryAfter')
  if ('unconfirmed' in want || 'accepted_indices' in want || 'cause' in want) {
    assert.deepEqual(err.unconfirmed, want.unconfirmed)
    assert.deepEqual(
      err.results.flatMap((r, i) => (r ? [i] : [])),
      want.accepted_indices,
    )
    assert.equal(err.causeCode, KINDS[want.cause]?.[0])
  }
}

function checkLedger(want, ledger) {
  checkKeys(want, ['total', 'requests'], 'ledger')
  assert.equal(ledger.total, want.total, 'requests the server received')
  for (const [i, entry] of (want.requests ?? []).entries()) {
    checkKeys(entry, ['operation', 'auth', 'accepted', 'listener_id', 'body'], 'ledger.requests')
    assert.ok(ledger.requests[i], `no ledger entry ${i}`)
    for (const [key, value] of Object.entries(entry)) assert.deepEqual(ledger.requests[i][key], value, `ledger entry ${i}: ${key}`)
  }
}

const files = fs.readdirSync(CASES).filter((f) => f.endsWith('.json')).sort()

test('the conformance suite is there', () => {
  assert.ok(files.length >= 40, `expected at least 40 cases, found ${files.length}`)
})

for (const file of files) {
  const kase = JSON.parse(fs.readFileSync(path.join(CASES, file), 'utf8'))
  test(`conformance: ${path.basename(file, '.json')}`, async () => {
    checkKeys(kase, ['name', 'description', 'env', 'config', 'faults', 'operation', 'args', 'expect', 'ledger'], 'case')
    checkKeys(kase.expect, ['result', 'error'], 'expect')
    await mock.reset()
    clearEnv()
    for (const [name, value] of Object.entries(kase.env ?? {})) process.env[name] = substitute(value)
    if (kase.faults?.length) await mock.fault(...kase.faults)

    let outcome
    try {
      const client = new botsplash.Client(clientOptions(kase.config))
      outcome = { result: await call(client, kase.operation, kase.args) }
    } catch (err) {
      outcome = { error: err }
    }
    const ledger = await mock.ledger()
    if ('error' in kase.expect) {
      assert.ok('error' in outcome, `succeeded, but an error was expected: ${JSON.stringify(outcome.result)}`)
      checkError(kase.expect.error, outcome.error)
    } else {
      assert.ok(!('error' in outcome), `failed, but a result was expected: ${outcome.error && outcome.error.stack}`)
      checkResult(kase.expect.result, kase.operation, outcome.result, ledger)
    }
    checkLedger(kase.ledger, ledger)
  })
}
