'use strict'

// Client construction: options, environment fallbacks, ConfigError, and that no secret is
// ever visible through inspection, JSON or error output.

const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Client, ConfigError, BotsplashError, AuthenticationError, APIError } = require('..')
const { startMock, APP_ID, API_KEY, USERNAME, PASSWORD } = require('./helpers/mock')

const ENV_NAMES = [
  'BOTSPLASH_APP_ID',
  'BOTSPLASH_API_KEY',
  'BOTSPLASH_USERNAME',
  'BOTSPLASH_PASSWORD',
  'BOTSPLASH_BASE_URL',
  'BOTSPLASH_API_KEY_IN',
  'BOTSPLASH_TIMEOUT',
  'BOTSPLASH_CONNECT_TIMEOUT',
  'BOTSPLASH_MAX_RETRIES',
  'BOTSPLASH_RETRY_UNKNOWN_OUTCOME',
  'BOTSPLASH_BATCH_SIZE',
  'BOTSPLASH_BULK_CONCURRENCY',
]

/** Runs `fn` with exactly these BOTSPLASH_* variables set, restoring the environment after. */
async function withEnv(vars, fn) {
  const saved = Object.fromEntries(ENV_NAMES.map((n) => [n, process.env[n]]))
  for (const n of ENV_NAMES) delete process.env[n]
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const n of ENV_NAMES) {
      if (saved[n] === undefined) delete process.env[n]
      else process.env[n] = saved[n]
    }
  }
}

const visitor = { phoneNumber: '+1 704 555 0100' }
let mock

before(async () => {
  mock = await startMock()
})
after(() => mock.stop())
beforeEach(() => mock.reset())

test('options set every configuration value', () =>
  withEnv({}, () => {
    const client = new Client(
      mock.options({
        apiKeyIn: 'body',
        timeoutMs: 1500,
        connectTimeoutMs: 250,
        maxRetries: 4,
        retryUnknownOutcome: true,
        batchSize: 7,
        bulkConcurrency: 3,
      }),
    )
    assert.deepEqual({ ...client.config }, {
      appId: APP_ID,
      auth: 'api_key_body',
      baseUrl: mock.url,
      timeoutMs: 1500,
      connectTimeoutMs: 250,
      maxRetries: 4,
      retryUnknownOutcome: true,
      batchSize: 7,
      bulkConcurrency: 3,
      userAgent: client.config.userAgent,
    })
    assert.match(client.config.userAgent, /^botsplash-sdk\/0\.1\.0 \(node; /)
    assert.ok(Object.isFrozen(client.config))
  }))

test('defaults follow DESIGN.md', () =>
  withEnv({}, () => {
    const c = new Client({ appId: 'a', apiKey: 'k' }).config
    assert.equal(c.baseUrl, 'https://api.botsplash.com/open/v1')
    assert.equal(c.auth, 'api_key_query')
    assert.equal(c.timeoutMs, 30_000)
    assert.equal(c.connectTimeoutMs, 5_000)
    assert.equal(c.maxRetries, 2)
    assert.equal(c.retryUnknownOutcome, false)
    assert.equal(c.batchSize, 100)
    assert.equal(c.bulkConcurrency, 4)
  }))

test('every option falls back to the environment, and a call works with env alone', () =>
  withEnv(
    {
      BOTSPLASH_APP_ID: APP_ID,
      BOTSPLASH_API_KEY: API_KEY,
      BOTSPLASH_BASE_URL: mock.url,
      BOTSPLASH_API_KEY_IN: 'body',
      BOTSPLASH_TIMEOUT: '2.5',
      BOTSPLASH_CONNECT_TIMEOUT: '0.5',
      BOTSPLASH_MAX_RETRIES: '1',
      BOTSPLASH_RETRY_UNKNOWN_OUTCOME: 'true',
      BOTSPLASH_BATCH_SIZE: '9',
      BOTSPLASH_BULK_CONCURRENCY: '2',
    },
    async () => {
      const client = new Client()
      const { userAgent, ...config } = client.config
      assert.deepEqual(config, {
        appId: APP_ID,
        auth: 'api_key_body',
        baseUrl: mock.url,
        timeoutMs: 2500,
        connectTimeoutMs: 500,
        maxRetries: 1,
        retryUnknownOutcome: true,
        batchSize: 9,
        bulkConcurrency: 2,
      })
      await client.listeners.submitVisitor('l1', visitor)
      const ledger = await mock.ledger()
      assert.equal(ledger.total, 1)
      assert.equal(ledger.requests[0].auth, 'api_key_body')
    },
  ))

test('explicit options win over the environment; credentials are taken as a whole', () =>
  withEnv({ BOTSPLASH_APP_ID: 'env-app', BOTSPLASH_API_KEY: 'env-key', BOTSPLASH_MAX_RETRIES: '5' }, async () => {
    // A username + password in code must not be mixed with the key in the environment.
    const client = new Client({ appId: APP_ID, username: USERNAME, password: PASSWORD, baseUrl: mock.url, maxRetries: 0 })
    assert.equal(client.config.appId, APP_ID)
    assert.equal(client.config.auth, 'basic')
    assert.equal(client.config.username, USERNAME)
    assert.equal(client.config.maxRetries, 0)
    await client.listeners.submitVisitor('l1', visitor)
    assert.equal((await mock.ledger()).requests[0].auth, 'basic')
  }))

test('HTTP Basic credentials from the environment', () =>
  withEnv(
    { BOTSPLASH_APP_ID: APP_ID, BOTSPLASH_USERNAME: USERNAME, BOTSPLASH_PASSWORD: PASSWORD, BOTSPLASH_BASE_URL: mock.url },
    async () => {
      const client = new Client({ timeoutMs: 5000 })
      assert.equal(client.config.auth, 'basic')
      await client.messages.send({ text: 'hello', visitor: { clientVisitorId: 'c-1' } })
      assert.equal((await mock.ledger()).requests[0].auth, 'basic')
    },
  ))

test('undefined and null options mean "not given"', () =>
  withEnv({ BOTSPLASH_API_KEY: 'env-key' }, () => {
    const client = new Client({ appId: 'a', apiKey: undefined, username: null, timeoutMs: undefined })
    assert.equal(client.config.auth, 'api_key_query')
    assert.equal(client.config.timeoutMs, 30_000)
  }))

test('bad configuration throws ConfigError synchronously', () =>
  withEnv({}, () => {
    const key = 'super-secret-key-1234'
    const cases = [
      [{ apiKey: key }, /appId is required/],
      [{ appId: 'a' }, /credentials are required/],
      [{ appId: 'a', apiKey: key, password: 'pw-secret-999' }, /either an API key or a username and password/],
      [{ appId: 'a', username: 'u' }, /needs a password/],
      [{ appId: 'a', apiKey: key, baseUrl: 'not a url' }, /baseUrl is not a valid URL/],
      [{ appId: 'a', apiKey: key, baseUrl: 'http://example.com/' }, /plain http/],
      [{ appId: 'a', apiKey: key, timeoutMs: 0 }, /timeoutMs must be more than 0/],
      [{ appId: 'a', apiKey: key, timeoutMs: -5 }, /timeoutMs must be a positive number of milliseconds/],
      [{ appId: 'a', apiKey: key, connectTimeoutMs: Number.NaN }, /connectTimeoutMs must be/],
      [{ appId: 'a', apiKey: key, timeoutMs: Infinity }, /timeoutMs must be/],
      [{ appId: 'a', apiKey: key, timeoutMs: '5000' }, /timeoutMs must be a positive number of milliseconds, not a string/],
      [{ appId: 'a', apiKey: key, maxRetries: 11 }, /maxRetries must be at most 10/],
      [{ appId: 'a', apiKey: key, maxRetries: 1.5 }, /maxRetries must be a non-negative integer/],
      [{ appId: 'a', apiKey: key, batchSize: 0 }, /batchSize must be between/],
      [{ appId: 'a', apiKey: key, bulkConcurrency: 65 }, /bulkConcurrency must be between/],
      [{ appId: 'a', apiKey: key, retryUnknownOutcome: 'yes' }, /retryUnknownOutcome must be a boolean, not a string/],
      [{ appId: 'a', apiKey: key, apiKeyIn: 'header' }, /apiKeyIn must be 'query' or 'body'/],
      [{ appId: 'a', apiKey: 42 }, /apiKey must be a string, not a number/],
      [{ appId: 'a', apiKey: key, timeout: 5 }, /unknown option "timeout"/],
      ['a-string', /options must be an object/],
      [[{ appId: 'a' }], /options must be an object/],
    ]
    for (const [options, message] of cases) {
      let thrown
      try {
        new Client(options)
      } catch (err) {
        thrown = err
      }
      assert.ok(thrown instanceof ConfigError, `${util.inspect(options)}: ${thrown}`)
      assert.ok(thrown instanceof BotsplashError)
      assert.ok(thrown instanceof Error)
      assert.equal(thrown.code, 'CONFIG')
      assert.equal(thrown.name, 'ConfigError')
      assert.match(thrown.message, message)
      for (const text of [thrown.message, thrown.stack, JSON.stringify(thrown), util.inspect(thrown)]) {
        assert.ok(!text.includes(key) && !text.includes('pw-secret-999'), text)
      }
    }
  }))

test('an invalid environment value is a ConfigError naming the variable', () =>
  withEnv({ BOTSPLASH_TIMEOUT: 'soon' }, () => {
    assert.throws(() => new Client({ appId: 'a', apiKey: 'k' }), (err) => {
      assert.ok(err instanceof ConfigError)
      assert.match(err.message, /BOTSPLASH_TIMEOUT/)
      return true
    })
  }))

test('inspect, JSON and own properties of a client never show a secret', () =>
  withEnv({}, () => {
    const key = 'k3y-abcdef-0123456789'
    const password = 'pa55-word-ZYXWVU'
    const basicToken = Buffer.from(`user:${password}`).toString('base64')
    for (const client of [
      new Client({ appId: 'app', apiKey: key, baseUrl: mock.url }),
      new Client({ appId: 'app', apiKey: key, apiKeyIn: 'body', baseUrl: mock.url }),
      new Client({ appId: 'app', username: 'user', password, baseUrl: mock.url }),
    ]) {
      const views = [
        util.inspect(client),
        util.inspect(client, { showHidden: true, depth: Infinity, getters: true }),
        util.format('%o %O %j', client, client, client),
        JSON.stringify(client),
        JSON.stringify(client.config),
        JSON.stringify(Object.getOwnPropertyNames(client).map((n) => [n, util.inspect(client[n], { showHidden: true })])),
        util.inspect(client.listeners, { showHidden: true }),
        util.inspect(client.messages, { showHidden: true }),
        String(client),
      ]
      for (const view of views) {
        for (const secret of [key, password, basicToken]) assert.ok(!view.includes(secret), view)
      }
    }
    const client = new Client({ appId: 'app', apiKey: key, baseUrl: mock.url })
    assert.deepEqual(JSON.parse(JSON.stringify(client)), { appId: 'app', auth: 'api_key_query', baseUrl: mock.url })
    assert.equal(util.inspect(client).replace(/\s+/g, ' '), `Client { appId: 'app', auth: 'api_key_query', baseUrl: '${mock.url}' }`)
  }))

test('errors from the server never show the credentials, even when the server echoes them', async () => {
  const wrongKey = 'wrong-key-55aa66bb'
  const client = new Client(mock.options({ apiKey: wrongKey }))
  const err = await client.listeners.submitVisitor('l1', visitor).catch((e) => e)
  assert.ok(err instanceof AuthenticationError)
  for (const text of [err.message, err.stack, JSON.stringify(err), util.inspect(err)]) {
    assert.ok(!text.includes(wrongKey), text)
  }

  // A server that echoes the key back in an error body: the SDK scrubs it from the message.
  await mock.fault({ action: 'status', status: 400, body: JSON.stringify({ message: `bad request for key ${API_KEY}` }) })
  const good = new Client(mock.options({ maxRetries: 0 }))
  const echoed = await good.listeners.submitVisitor('l1', visitor).catch((e) => e)
  assert.ok(echoed instanceof APIError, String(echoed))
  assert.match(echoed.message, /\[redacted\]/)
  for (const text of [echoed.message, echoed.stack, JSON.stringify(echoed), util.inspect(echoed)]) {
    assert.ok(!text.includes(API_KEY), text)
  }
})
