'use strict'

// Wrong JS types and bad values: each call rejects with a ValidationError naming the field (or
// a TypeError naming the argument), nothing reaches the server, and the process survives.

const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { Client, ValidationError } = require('..')
const { startMock } = require('./helpers/mock')

let mock
let client

before(async () => {
  mock = await startMock()
  client = new Client(mock.options())
})
after(async () => {
  // Whatever the cases above did, nothing was sent and the client still works.
  assert.equal((await mock.ledger()).total, 0)
  await client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' })
  assert.equal((await mock.ledger()).total, 1)
  await mock.stop()
})
beforeEach(async () => {
  assert.equal((await mock.ledger()).total, 0, 'an earlier case sent a request')
})

/** Asserts a ValidationError whose field errors are exactly these (path, message pattern) pairs. */
async function invalid(promise, expected) {
  const err = await promise.then(
    () => assert.fail('expected a ValidationError'),
    (e) => e,
  )
  assert.ok(err instanceof ValidationError, String(err && err.stack))
  assert.equal(err.code, 'VALIDATION')
  assert.deepEqual(
    err.fieldErrors.map((f) => f.path),
    expected.map(([path]) => path),
    err.message,
  )
  expected.forEach(([path, pattern], i) => {
    assert.match(err.fieldErrors[i].message, pattern, path)
    assert.ok(err.message.includes(path), err.message)
  })
  return err
}

async function typeError(promise, pattern) {
  const err = await promise.then(
    () => assert.fail('expected a TypeError'),
    (e) => e,
  )
  assert.ok(err instanceof TypeError, String(err && err.stack))
  assert.match(err.message, pattern)
}

test('wrong types for visitor fields are reported with their paths', async () => {
  await invalid(
    client.listeners.submitVisitor('l1', {
      phoneNumber: 7045550100,
      extendedAttributes: ['not', 'an', 'object'],
      firstName: 5,
      deliveryStatus: '202',
      agentClientUserId: [],
      tzName: 7,
    }),
    [
      ['visitor.phoneNumber', /must be a string, not a number/],
      ['visitor.firstName', /must be a string/],
      ['visitor.tzName', /must be a string/],
      ['visitor.deliveryStatus', /must be an integer/],
      ['visitor.extendedAttributes', /must be an object/],
      ['visitor.agentClientUserId', /must not be an empty list/],
    ],
  )
})

test('bad values: phone digits, state, time zone, email, fractional deliveryStatus', async () => {
  await invalid(
    client.listeners.submitVisitor('l1', {
      phoneNumber: '555-01',
      state: 'XX',
      tzName: 'Mars/Olympus_Mons',
      email: 'ann@',
      deliveryStatus: 1.5,
    }),
    [
      ['visitor.phoneNumber', /digits/],
      ['visitor.email', /email/],
      ['visitor.state', /US state/],
      ['visitor.tzName', /IANA/],
      ['visitor.deliveryStatus', /integer/],
    ],
  )
})

test('a missing phone number and a missing or empty listener id', async () => {
  await invalid(client.listeners.submitVisitor(undefined, { firstName: 'Ann' }), [
    ['listenerId', /required/],
    ['visitor.phoneNumber', /required/],
  ])
  await invalid(client.listeners.submitVisitor(null, { phoneNumber: '7045550100' }), [['listenerId', /required/]])
  await invalid(client.listeners.submitVisitor('  ', { phoneNumber: '7045550100' }), [['listenerId', /required/]])
})

test('a visitor that is not an object', async () => {
  for (const bad of [undefined, null, 'Ann', 42, ['7045550100'], true]) {
    await invalid(client.listeners.submitVisitor('l1', bad), [['visitor', /must be an object/]])
  }
})

test('an empty message is refused; a non-string one is a TypeError', async () => {
  await invalid(client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }, { message: ' ' }), [
    ['args.message', /must not be empty/],
  ])
  await typeError(client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }, { message: 5 }), /message must be a string, not a number/)
  await typeError(client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }, { mesage: 'typo' }), /unknown field "mesage"/)
  await typeError(client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }, 'hello'), /options must be an object/)
})

test('a listener id that is not a string is a TypeError naming it', async () => {
  await typeError(client.listeners.submitVisitor(42, { phoneNumber: '7045550100' }), /listenerId must be a string, not a number/)
  await typeError(client.listeners.submitLendingTreeLead({}, '<a/>'), /listenerId must be a string, not an object/)
})

test('bulk: every visitor error with its index, an empty list, a non-list', async () => {
  await invalid(
    client.listeners.submitSalesforceVisitors('sf', [
      { phoneNumber: '7045550100' },
      { phoneNumber: '7045550100' },
      { phoneNumber: 7045550100 },
      { phoneNumber: '7045550100', tzName: 'Nowhere/Land' },
      'not a visitor',
    ]),
    [
      ['visitors[2].phoneNumber', /must be a string/],
      ['visitors[3].tzName', /IANA/],
      ['visitors[4]', /must be an object/],
    ],
  )
  await invalid(client.listeners.submitSalesforceVisitors('sf', []), [['visitors', /at least one/]])
  for (const bad of [undefined, { phoneNumber: '7045550100' }, 'visitors', 3]) {
    await typeError(client.listeners.submitSalesforceVisitors('sf', bad), /visitors must be an array/)
  }
})

test('messages.send: missing text, visitor without an identity, wrong shapes', async () => {
  await invalid(client.messages.send({ visitor: { firstName: 'Ann' } }), [
    ['text', /required/],
    ['visitor', /clientVisitorId or a phoneNumber/],
  ])
  await invalid(client.messages.send({ text: '', visitor: { clientVisitorId: 5 } }), [
    ['text', /required/],
    ['visitor', /clientVisitorId or a phoneNumber/],
    ['visitor.clientVisitorId', /must be a string/],
  ])
  await typeError(client.messages.send(), /send\(\) takes \{ text, visitor \}/)
  await typeError(client.messages.send('hello'), /params must be an object/)
  await typeError(client.messages.send({ text: 'hi', to: '7045550100' }), /unknown field "to"/)
  await typeError(client.messages.send({ text: 12 }), /text must be a string, not a number/)
})

test('LendingTree: malformed or missing XML', async () => {
  await invalid(client.listeners.submitLendingTreeLead('lt', '<Lead><Phone>1</Lead>'), [['xml', /./]])
  await invalid(client.listeners.submitLendingTreeLead('lt', undefined), [['xml', /./]])
  await invalid(client.listeners.submitLendingTreeLead(undefined, 'not xml at all'), [
    ['listenerId', /required/],
    ['xml', /./],
  ])
  await typeError(client.listeners.submitLendingTreeLead('lt', 42), /xml must be a string, not a number/)
})

test('values JSON cannot carry: circular objects and BigInts are TypeErrors naming the argument', async () => {
  const circular = { phoneNumber: '7045550100' }
  circular.self = circular
  await typeError(client.listeners.submitVisitor('l1', circular), /visitor cannot be sent as JSON/)
  await typeError(
    client.listeners.submitSalesforceVisitors('sf', [{ phoneNumber: '7045550100', deliveryStatus: 202n }]),
    /visitors cannot be sent as JSON/,
  )
  await typeError(client.messages.send({ text: 'hi', visitor: circular }), /visitor cannot be sent as JSON/)
})

test('JSON the core cannot read (too deep, lone surrogates) is a ValidationError on the visitor', async () => {
  let deep = {}
  const root = { phoneNumber: '7045550100', extendedAttributes: deep }
  for (let i = 0; i < 300; i++) {
    deep.next = {}
    deep = deep.next
  }
  await invalid(client.listeners.submitVisitor('l1', root), [['visitor', /cannot be read as JSON/]])
  await invalid(client.listeners.submitVisitor('l1', { phoneNumber: '7045550100', firstName: 'A\ud800' }), [
    ['visitor', /cannot be read as JSON/],
  ])
  await invalid(client.listeners.submitSalesforceVisitors('sf', [root]), [['visitors', /cannot be read as JSON/]])
})

test('a huge visitor list with one bad entry is refused as a whole', async () => {
  const visitors = Array.from({ length: 20_000 }, (_, i) => ({ phoneNumber: `704555${String(i).padStart(4, '0')}` }))
  visitors[12_345] = { phoneNumber: '1' }
  await invalid(client.listeners.submitSalesforceVisitors('sf', visitors), [['visitors[12345].phoneNumber', /digits/]])
})

// A generator is read a chunk at a time; the indices in the errors are still those of the
// whole input, including on either side of a chunk boundary (every 512 visitors) and far in.
test('bulk from a generator: every error anywhere in it, by its index in the whole input', async () => {
  let finished = false
  function* visitors() {
    for (let i = 0; i < 50_000; i++) {
      if (i === 511) yield 'not a visitor'
      else if (i === 512) yield null
      else if (i === 1024) yield { phoneNumber: 7045550100 }
      else if (i === 41_234) yield { phoneNumber: '1' }
      else if (i === 49_999) yield { phoneNumber: '7045550100', tzName: 'Nowhere/Land' }
      else yield { phoneNumber: `704555${String(i % 10_000).padStart(4, '0')}`, clientVisitorId: `crm-${i}` }
    }
    finished = true
  }
  await invalid(client.listeners.submitSalesforceVisitors('sf', visitors()), [
    ['visitors[511]', /must be an object, not a string/],
    ['visitors[512]', /must be an object, not null/],
    ['visitors[1024].phoneNumber', /must be a string/],
    ['visitors[41234].phoneNumber', /digits/],
    ['visitors[49999].tzName', /IANA/],
  ])
  assert.ok(finished, 'every visitor was read before the call was refused')
})

test('bulk: a value JSON cannot hold in the middle of a generator is a TypeError; the generator is closed', async () => {
  const unhandled = []
  const onUnhandled = (reason) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    let read = 0
    let closed = false
    function* visitors() {
      try {
        for (let i = 0; i < 50_000; i++) {
          read++
          yield i === 30_000 ? { phoneNumber: '7045550100', deliveryStatus: 202n } : { phoneNumber: '7045550100' }
        }
      } finally {
        closed = true
      }
    }
    await typeError(client.listeners.submitSalesforceVisitors('sf', visitors()), /visitors cannot be sent as JSON/)
    assert.ok(closed, "the generator's finally block ran")
    assert.ok(read > 30_000 && read < 50_000, `read ${read} visitors: it stops at the bad chunk`)

    // The iterable's own error comes through unchanged.
    const broken = (function* () {
      yield { phoneNumber: '7045550100' }
      for (let i = 0; i < 2000; i++) yield { phoneNumber: '7045550101' }
      throw new RangeError('the CSV ended early')
    })()
    await assert.rejects(client.listeners.submitSalesforceVisitors('sf', broken), { name: 'RangeError', message: 'the CSV ended early' })

    // Let any push still in flight settle before looking for unhandled rejections.
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})
