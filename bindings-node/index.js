'use strict'

// The public face of the package. All behaviour (configuration, validation, HTTP, retries,
// error mapping) lives in the Rust core behind `native.js`; this file only shapes arguments,
// turns native errors into the error classes below, and keeps secrets out of inspection.

const util = require('node:util')
const native = require('./native.js')

// Must match ERROR_MARK in src/lib.rs: native errors carrying it hold the SDK error as JSON.
const ERROR_MARK = 'botsplash-error:'

class BotsplashError extends Error {
  /**
   * @param {string} message
   * @param {object} [details] the fields below, for code that builds errors itself (tests, mocks)
   */
  constructor(message, details = {}) {
    super(message)
    this.code = details.code ?? new.target.code ?? 'API'
    this.status = details.status ?? null
    this.requestId = details.requestId ?? null
    this.retries = details.retries ?? 0
    this.outcomeUnknown = details.outcomeUnknown ?? false
    this.fieldErrors = details.fieldErrors ?? []
  }

  toJSON() {
    const out = { name: this.name, message: this.message }
    for (const key of Object.keys(this)) out[key] = this[key]
    return out
  }
}

class ConfigError extends BotsplashError {}
class ValidationError extends BotsplashError {}
class AuthenticationError extends BotsplashError {}
class NotFoundError extends BotsplashError {}
class APIError extends BotsplashError {}
class APITimeoutError extends BotsplashError {}
class APIConnectionError extends BotsplashError {}
class DecodeError extends BotsplashError {}

class RateLimitError extends BotsplashError {
  constructor(message, details = {}) {
    super(message, details)
    /** Seconds the server asked to wait, if it said. */
    this.retryAfter = details.retryAfter ?? null
  }
}

class PartialBulkError extends BotsplashError {
  constructor(message, details = {}) {
    super(message, details)
    /** One slot per submitted visitor, in input order; `null` where not confirmed. */
    this.results = details.results ?? []
    /** Indices of the visitors the server did not confirm. */
    this.unconfirmed = details.unconfirmed ?? []
    /** The `code` of the batch failure that stopped the submission. */
    this.causeCode = details.causeCode ?? null
  }
}

// The core's error kinds (DESIGN.md), with their Node codes and classes.
const KINDS = {
  config: ['CONFIG', ConfigError],
  validation: ['VALIDATION', ValidationError],
  authentication: ['AUTHENTICATION', AuthenticationError],
  not_found: ['NOT_FOUND', NotFoundError],
  rate_limited: ['RATE_LIMITED', RateLimitError],
  api: ['API', APIError],
  timeout: ['TIMEOUT', APITimeoutError],
  connection: ['CONNECTION', APIConnectionError],
  decode: ['DECODE', DecodeError],
  partial_bulk: ['PARTIAL', PartialBulkError],
}

for (const [code, cls] of [['API', BotsplashError], ...Object.values(KINDS)]) {
  // On the prototype and non-enumerable, like Error's own `name`: stacks read
  // "ValidationError: ...", and JSON/inspect output stays the error's data.
  Object.defineProperty(cls.prototype, 'name', { value: cls.name, writable: true, configurable: true })
  if (cls !== BotsplashError) Object.defineProperty(cls, 'code', { value: code })
}

function listenerResult(r) {
  return r == null ? null : { success: r.success, requestId: r.requestId ?? r.request_id }
}

/** The error a native call failed with, as the public class it stands for. */
function fromNative(err) {
  if (!(err instanceof Error) || !err.message.startsWith(ERROR_MARK)) return err
  let p
  try {
    p = JSON.parse(err.message.slice(ERROR_MARK.length))
  } catch {
    return new BotsplashError('the native module returned an unreadable error')
  }
  const [code, Cls] = KINDS[p.kind] ?? [p.code ?? 'API', BotsplashError]
  const details = {
    code,
    status: p.status,
    requestId: p.request_id,
    retries: p.retries,
    outcomeUnknown: p.outcome_unknown,
    fieldErrors: (p.field_errors ?? []).map((f) => ({ path: f.path, message: f.message })),
    retryAfter: p.retry_after,
  }
  if (p.partial) {
    details.results = p.partial.results.map(listenerResult)
    details.unconfirmed = p.partial.unconfirmed
    details.causeCode = KINDS[p.partial.cause]?.[0] ?? null
  }
  return new Cls(p.message, details)
}

// Callers use `return await run(...)`: awaiting inside the public method keeps it (and the
// user's own async frames) in the error's stack trace.
async function call(start) {
  try {
    return await start()
  } catch (err) {
    throw fromNative(err)
  }
}

function describe(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  const t = typeof value
  return t === 'undefined' ? 'undefined' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`
}

// `undefined` and `null` become '' so the core reports "is required" together with every
// other field error of the call; other non-strings are programmer errors (TypeError).
function requiredString(value, name) {
  if (value == null) return ''
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, not ${describe(value)}`)
  return value
}

function optionalString(value, name) {
  if (value == null) return undefined
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, not ${describe(value)}`)
  return value
}

function plainObject(value, name, allowed) {
  if (value == null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, not ${describe(value)}`)
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${name} has an unknown field ${JSON.stringify(key)}; it takes ${allowed.join(', ')}`)
    }
  }
  return value
}

// Duck-typed like fetch's check, so that a signal of a polyfill or of another realm works;
// removeEventListener is required too because every call removes what it added.
function abortSignal(value) {
  if (value == null) return undefined
  if (
    typeof value !== 'object' ||
    typeof value.aborted !== 'boolean' ||
    typeof value.addEventListener !== 'function' ||
    typeof value.removeEventListener !== 'function'
  ) {
    throw new TypeError(`signal must be an AbortSignal, not ${describe(value)}`)
  }
  return value
}

// Per signal: its native cancellation token, the calls in flight with it, and the one 'abort'
// listener they share. A listener per call would make a signal shared by more than ten
// concurrent calls (one shutdown signal for a whole import) trip Node's
// MaxListenersExceededWarning although nothing leaks. The listener is removed when the last
// of those calls settles, so a long-lived signal keeps none between calls.
const signals = new WeakMap()
const ONCE = Object.freeze({ once: true })

/**
 * Runs `start(cancel)`, a native call that takes the cancellation token, under `signal` with
 * fetch's semantics: already aborted, it rejects with `signal.reason` and nothing starts;
 * aborted before the call settles, it rejects with the reason. The abort reaches the native
 * operation, which is dropped wherever it is waiting (network, backoff), so the rejection
 * follows within microseconds rather than when the request would have ended.
 */
async function callWithSignal(signal, start) {
  if (signal.aborted) throw signal.reason
  let entry = signals.get(signal)
  if (entry === undefined) {
    const cancel = new native.NativeCancel()
    entry = { cancel, calls: 0, onAbort: () => cancel.abort() }
    signals.set(signal, entry)
  }
  if (entry.calls === 0) signal.addEventListener('abort', entry.onAbort, ONCE)
  entry.calls++
  try {
    const value = await start(entry.cancel)
    // Aborted while the answer was on its way to this thread: the abort came first.
    if (signal.aborted) throw signal.reason
    return value
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw fromNative(err)
  } finally {
    if (--entry.calls === 0) signal.removeEventListener('abort', entry.onAbort)
  }
}

/** `call`, or `callWithSignal` when there is a signal. */
function run(signal, start) {
  return signal === undefined ? call(start) : callWithSignal(signal, start)
}

// JSON semantics on purpose (see src/lib.rs): the core receives exactly what a JSON API client
// would send, wrong types included, and validates it.
function jsonText(value, name) {
  let text
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw new TypeError(`${name} cannot be sent as JSON: ${err.message}`)
  }
  return text === undefined ? 'null' : text
}

// Visitors per chunk handed to the native side: small enough that a chunk's objects and text
// are a few hundred KB, large enough that the per-chunk hop to the runtime (tens of µs) is noise.
const CHUNK_SIZE = 512

/**
 * `visitors` in arrays of up to CHUNK_SIZE, in order. Once `signal` has aborted, not one more
 * visitor is read: it throws the reason, which also closes the caller's iterator (a
 * generator's `finally` runs).
 */
function* chunks(visitors, signal) {
  let chunk = []
  if (Array.isArray(visitors)) {
    // By index, as JSON.stringify reads an array: holes are `undefined`, and an array's own
    // (possibly overridden) iterator is not consulted.
    for (let i = 0; i < visitors.length; i++) {
      if (signal?.aborted) throw signal.reason
      chunk.push(visitors[i])
      if (chunk.length === CHUNK_SIZE) {
        yield chunk
        chunk = []
      }
    }
  } else {
    for (const visitor of visitors) {
      if (signal?.aborted) throw signal.reason
      chunk.push(visitor)
      if (chunk.length === CHUNK_SIZE) {
        yield chunk
        chunk = []
      }
    }
  }
  if (chunk.length > 0) yield chunk
}

class Listeners {
  #native

  constructor(nativeClient) {
    this.#native = nativeClient
  }

  /** New Visitor Post: starts an engagement with one visitor. */
  async submitVisitor(listenerId, visitor, options) {
    const { message, signal } = plainObject(options, 'options', ['message', 'signal'])
    const args = [requiredString(listenerId, 'listenerId'), jsonText(visitor, 'visitor'), optionalString(message, 'message')]
    return await run(abortSignal(signal), (cancel) => this.#native.submitVisitor(...args, cancel))
  }

  /** New SalesForce Lead Post: visitors in batches; results in input order. */
  async submitSalesforceVisitors(listenerId, visitors, options) {
    const { message, signal: given } = plainObject(options, 'options', ['message', 'signal'])
    const signal = abortSignal(given)
    const isIterable = visitors != null && typeof visitors === 'object' && typeof visitors[Symbol.iterator] === 'function'
    if (!isIterable) throw new TypeError(`visitors must be an array of visitors, not ${describe(visitors)}`)
    const args = [requiredString(listenerId, 'listenerId'), optionalString(message, 'message')]
    return await run(signal, async (cancel) => {
      const bulk = this.#native.bulk(...args)
      // Chunk by chunk, so that neither all the caller's objects nor one JSON text of all of
      // them exists at once. The native side parses and validates a chunk off this thread
      // while the next one is stringified here; nothing is sent before the last chunk is in.
      let pushing = null
      try {
        for (const chunk of chunks(visitors, signal)) {
          const text = jsonText(chunk, 'visitors')
          if (pushing) await pushing
          pushing = bulk.push(text)
        }
        if (pushing) await pushing
      } catch (err) {
        // A TypeError (or the iterable's own error, or an abort) can leave a push in flight;
        // its outcome no longer matters, but it must not surface as an unhandled rejection.
        pushing?.catch(() => {})
        throw fromNative(err)
      }
      // Aborted while the last push was in flight: the whole input was read, none of it sent.
      if (signal?.aborted) throw signal.reason
      return await bulk.submit(cancel)
    })
  }

  /** New LendingTree Lead Post: XML in, the API's XML answer out. */
  async submitLendingTreeLead(listenerId, xml, options) {
    const { signal } = plainObject(options, 'options', ['signal'])
    const args = [requiredString(listenerId, 'listenerId'), requiredString(xml, 'xml')]
    return await run(abortSignal(signal), (cancel) => this.#native.submitLendingTreeLead(...args, cancel))
  }

  [util.inspect.custom]() {
    return 'Listeners {}'
  }
}

class Messages {
  #native

  constructor(nativeClient) {
    this.#native = nativeClient
  }

  /** Send Message: a direct message to a visitor identified by clientVisitorId or phoneNumber. */
  async send(params) {
    if (params == null) throw new TypeError('send() takes { text, visitor }')
    const { text, visitor, signal } = plainObject(params, 'params', ['text', 'visitor', 'signal'])
    const args = [requiredString(text, 'text'), visitor == null ? undefined : jsonText(visitor, 'visitor')]
    await run(abortSignal(signal), (cancel) => this.#native.sendMessage(...args, cancel))
  }

  [util.inspect.custom]() {
    return 'Messages {}'
  }
}

class Client {
  // Private: the native handle is the only place credentials live, and private fields are
  // invisible to Object.keys, JSON.stringify and util.inspect.
  #native
  #config

  constructor(options) {
    if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
      throw new ConfigError(`options must be an object, not ${describe(options)}`)
    }
    try {
      this.#native = new native.NativeClient(options ?? undefined, process.env)
    } catch (err) {
      throw fromNative(err)
    }
    this.#config = Object.freeze(this.#native.info())
    Object.defineProperty(this, 'listeners', { value: new Listeners(this.#native), enumerable: true })
    Object.defineProperty(this, 'messages', { value: new Messages(this.#native), enumerable: true })
  }

  /** The effective configuration (options, then environment, then defaults), without secrets. */
  get config() {
    return this.#config
  }

  toJSON() {
    const { appId, auth, baseUrl } = this.#config
    return { appId, auth, baseUrl }
  }

  [util.inspect.custom](depth, options, inspect = util.inspect) {
    return `Client ${inspect(this.toJSON(), options)}`
  }
}

module.exports = {
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
}
