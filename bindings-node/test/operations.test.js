'use strict'

// Every operation against the mock, checked through the mock's ledger: what arrived, how it
// authenticated, and that results map back to what the server recorded.

const { test, before, after, beforeEach } = require('node:test')
const assert = require('node:assert/strict')
const { Client } = require('..')
const { startMock, USERNAME, PASSWORD } = require('./helpers/mock')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
let mock

before(async () => {
  mock = await startMock()
})
after(() => mock.stop())
beforeEach(() => mock.reset())

const fullVisitor = {
  clientVisitorId: 'crm-42',
  agentClientUserId: ['agent-1', 'agent-2'],
  teamCode: 'east',
  firstName: 'Ann',
  lastName: 'Lee',
  email: 'ann@example.com',
  phoneNumber: '+1 (704) 555-0100',
  state: 'nc',
  tzName: 'America/New_York',
  deliveryStatus: 202,
  extendedAttributes: { loanAmount: 250000, tags: ['refi', { nested: true }], note: null },
  participantAgentIds: ['agent-3'],
}

test('submitVisitor sends every field, extendedAttributes and extra fields as given', async () => {
  const client = new Client(mock.options())
  const result = await client.listeners.submitVisitor('new-leads', fullVisitor, { message: 'Hi Ann!' })
  assert.deepEqual(Object.keys(result).sort(), ['requestId', 'success'])
  assert.equal(result.success, true)
  assert.match(result.requestId, UUID)

  const { total, requests } = await mock.ledger()
  assert.equal(total, 1)
  const [entry] = requests
  assert.equal(entry.operation, 'submit_visitor')
  assert.equal(entry.listener_id, 'new-leads')
  assert.equal(entry.auth, 'api_key_query')
  assert.equal(entry.accepted, true)
  assert.deepEqual(entry.request_ids, [result.requestId])
  assert.deepEqual(entry.body, { visitor: fullVisitor, args: { message: 'Hi Ann!' } })
})

test('submitVisitor without a message sends no args', async () => {
  const client = new Client(mock.options())
  await client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' })
  await client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }, {})
  await client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }, { message: undefined })
  const { requests } = await mock.ledger()
  assert.equal(requests.length, 3)
  for (const r of requests) assert.deepEqual(r.body, { visitor: { phoneNumber: '7045550100' } })
})

test('apiKeyIn "body" puts the key in the JSON body; Basic auth sends a header', async () => {
  await new Client(mock.options({ apiKeyIn: 'body' })).listeners.submitVisitor('l1', { phoneNumber: '7045550100' })
  const basic = new Client({ appId: 'demo-app', username: USERNAME, password: PASSWORD, baseUrl: mock.url })
  await basic.listeners.submitVisitor('l1', { phoneNumber: '7045550100' })
  const { requests } = await mock.ledger()
  assert.deepEqual(
    requests.map((r) => [r.auth, r.accepted]),
    [
      ['api_key_body', true],
      ['basic', true],
    ],
  )
})

test('JSON semantics: undefined fields and functions are dropped, Dates become ISO text, null known fields are omitted', async () => {
  const client = new Client(mock.options())
  const when = new Date('2026-01-02T03:04:05.000Z')
  await client.listeners.submitVisitor('l1', {
    phoneNumber: '7045550100',
    email: undefined,
    firstName: null,
    callback() {},
    extendedAttributes: { createdAt: when, skipped: undefined },
  })
  const [entry] = (await mock.ledger()).requests
  assert.deepEqual(entry.body.visitor, { phoneNumber: '7045550100', extendedAttributes: { createdAt: when.toISOString() } })
})

test('submitSalesforceVisitors batches by batchSize and returns results in input order', async () => {
  const client = new Client(mock.options({ batchSize: 2, bulkConcurrency: 2 }))
  const visitors = Array.from({ length: 5 }, (_, i) => ({ phoneNumber: `70455501${String(i).padStart(2, '0')}`, clientVisitorId: `v${i}` }))
  const results = await client.listeners.submitSalesforceVisitors('sf', visitors, { message: 'Welcome' })
  assert.equal(results.length, 5)
  for (const r of results) {
    assert.equal(r.success, true)
    assert.match(r.requestId, UUID)
  }

  const { requests, counts } = await mock.ledger()
  assert.equal(counts.submit_salesforce_visitors, 3)
  // Map each ledger batch back to its visitors: result i must carry the id the server gave visitor i.
  const byVisitor = new Map()
  for (const r of requests) {
    assert.equal(r.listener_id, 'sf')
    assert.deepEqual(r.body.args, { message: 'Welcome' })
    assert.ok(r.body.visitors.length <= 2)
    r.body.visitors.forEach((v, i) => byVisitor.set(v.clientVisitorId, r.request_ids[i]))
  }
  assert.deepEqual(
    results.map((r) => r.requestId),
    visitors.map((v) => byVisitor.get(v.clientVisitorId)),
  )
})

test('submitSalesforceVisitors accepts any iterable', async () => {
  const client = new Client(mock.options())
  function* gen() {
    yield { phoneNumber: '7045550100' }
    yield { phoneNumber: '7045550101' }
  }
  assert.equal((await client.listeners.submitSalesforceVisitors('sf', gen())).length, 2)
  assert.equal((await client.listeners.submitSalesforceVisitors('sf', new Set([{ phoneNumber: '7045550102' }]))).length, 1)
  const { requests } = await mock.ledger()
  assert.deepEqual(
    requests.map((r) => r.body.visitors.length),
    [2, 1],
  )
})

test('a large generator is read chunk by chunk while the call runs; results in input order', async () => {
  const client = new Client(mock.options({ batchSize: 250 }))
  const count = 3000
  // Event-loop turns taken while the generator was being read: an iterable gathered (or
  // stringified) in one go would give none.
  let reading = true
  let turns = 0
  const tick = () => {
    if (!reading) return
    turns++
    setImmediate(tick)
  }
  function* visitors() {
    setImmediate(tick)
    for (let i = 0; i < count; i++) yield { phoneNumber: `704555${String(i).padStart(4, '0')}`, clientVisitorId: `g${i}` }
    reading = false
  }
  const results = await client.listeners.submitSalesforceVisitors('sf', visitors())
  assert.ok(turns > 0, 'the event loop ran while the generator was being read')
  assert.equal(results.length, count)

  const { requests } = await mock.ledger()
  assert.equal(requests.length, count / 250)
  const byVisitor = new Map()
  for (const r of requests) r.body.visitors.forEach((v, i) => byVisitor.set(v.clientVisitorId, r.request_ids[i]))
  assert.equal(byVisitor.size, count)
  assert.deepEqual(
    results.map((r) => r.requestId),
    Array.from({ length: count }, (_, i) => byVisitor.get(`g${i}`)),
  )
})

test('bulkConcurrency bounds how many batches are in flight', async () => {
  const visitors = Array.from({ length: 3 }, (_, i) => ({ phoneNumber: `704555010${i}` }))
  const timed = async (bulkConcurrency) => {
    await mock.reset()
    // Every batch takes 250 ms on the server.
    await mock.fault({ operation: 'submit_salesforce_visitors', action: 'delay', delay_ms: 250, times: 3 })
    const client = new Client(mock.options({ batchSize: 1, bulkConcurrency }))
    const started = performance.now()
    const results = await client.listeners.submitSalesforceVisitors('sf', visitors)
    assert.equal(results.length, 3)
    assert.equal((await mock.ledger()).counts.submit_salesforce_visitors, 3)
    return performance.now() - started
  }
  const oneAtATime = await timed(1)
  const allAtOnce = await timed(3)
  assert.ok(oneAtATime >= 740, `bulkConcurrency 1 took ${oneAtATime} ms`)
  assert.ok(allAtOnce < 600, `bulkConcurrency 3 took ${allAtOnce} ms`)
})

test('submitLendingTreeLead posts XML (key always in the query) and returns the XML answer', async () => {
  const client = new Client(mock.options({ apiKeyIn: 'body' }))
  const xml = '<?xml version="1.0"?><LeadInformation><Phone>7045550100</Phone><FirstName>Ann</FirstName></LeadInformation>'
  const res = await client.listeners.submitLendingTreeLead('lt', xml)
  assert.deepEqual(Object.keys(res).sort(), ['status', 'xml'])
  assert.equal(res.status, 200)
  assert.match(res.xml, /<LeadResponse>.*<Status>Success<\/Status>/s)

  const [entry] = (await mock.ledger()).requests
  assert.equal(entry.operation, 'submit_lendingtree_lead')
  assert.equal(entry.listener_id, 'lt')
  assert.equal(entry.auth, 'api_key_query')
  assert.match(entry.content_type, /xml/)
  assert.equal(entry.body, xml)
})

test('messages.send sends text and visitor, and resolves to undefined', async () => {
  const client = new Client(mock.options())
  assert.equal(await client.messages.send({ text: 'Your rate is locked', visitor: { clientVisitorId: 'crm-42' } }), undefined)
  assert.equal(await client.messages.send({ text: 'By phone', visitor: { phoneNumber: '7045550100', extendedAttributes: { a: 1 } } }), undefined)
  await client.messages.send({ text: 'No visitor' })
  const { requests } = await mock.ledger()
  assert.deepEqual(
    requests.map((r) => [r.operation, r.body]),
    [
      ['send_message', { text: 'Your rate is locked', visitor: { clientVisitorId: 'crm-42' } }],
      ['send_message', { text: 'By phone', visitor: { phoneNumber: '7045550100', extendedAttributes: { a: 1 } } }],
      ['send_message', { text: 'No visitor' }],
    ],
  )
})

test('listener ids are sent as one path segment, never as a path', async () => {
  const client = new Client(mock.options())
  await client.listeners.submitVisitor('a/../b c', { phoneNumber: '7045550100' })
  const [entry] = (await mock.ledger()).requests
  assert.equal(entry.listener_id, 'a/../b c')
})
