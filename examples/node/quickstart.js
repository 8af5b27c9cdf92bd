'use strict'

// Quickstart: every operation and how to handle its errors (Node.js).
//
// Configuration comes from the environment: BOTSPLASH_APP_ID, BOTSPLASH_API_KEY (or
// BOTSPLASH_USERNAME + BOTSPLASH_PASSWORD) and BOTSPLASH_BASE_URL (`scripts/demo.sh` points it
// at a local mock server). `botsplash` resolves to ../../bindings-node through package.json
// (`npm ci` here links it; build that package first).

const util = require('node:util')
const { Client, BotsplashError, ValidationError } = require('botsplash')

async function main() {
  // No options: everything comes from the BOTSPLASH_* variables. Keep one client per process
  // and reuse it; it holds the connection pool.
  const client = new Client()
  console.log(`client: ${util.inspect(client, { breakLength: Infinity })}`)

  // One visitor, with a first message. Visitors use the API's camelCase field names.
  const ann = {
    phoneNumber: '+1 (704) 555-0100',
    firstName: 'Ann',
    lastName: 'Lee',
    email: 'ann.lee@example.com',
    state: 'NC',
    tzName: 'America/New_York',
    clientVisitorId: 'crm-1001',
    extendedAttributes: { loanAmount: 250000, source: 'web' },
  }
  const result = await client.listeners.submitVisitor('new-leads', ann, { message: 'Hi Ann, this is Botsplash Lending!' })
  console.log(`submitVisitor: success=${result.success} requestId=${result.requestId}`)

  // Many visitors: sent in batches, results in input order.
  const visitors = Array.from({ length: 5 }, (_, i) => ({
    phoneNumber: `704-555-02${String(i).padStart(2, '0')}`,
    firstName: `Lead ${i}`,
  }))
  const results = await client.listeners.submitSalesforceVisitors('salesforce-leads', visitors)
  console.log(`submitSalesforceVisitors: ${results.filter((r) => r.success).length} accepted`)

  // A LendingTree lead, XML in and XML out.
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<LeadInformation><FirstName>Bo</FirstName><Phone>7045550300</Phone></LeadInformation>'
  const answer = await client.listeners.submitLendingTreeLead('lendingtree', xml)
  console.log(`submitLendingTreeLead: HTTP ${answer.status} ${answer.xml}`)

  // A direct message to a known visitor.
  await client.messages.send({ text: 'Your documents are ready to sign.', visitor: { clientVisitorId: 'crm-1001' } })
  console.log('messages.send: sent')

  // Bad input is caught before anything is sent, with every field's path.
  try {
    await client.listeners.submitVisitor('new-leads', { phoneNumber: '555', state: 'XX', tzName: 'Eastern' })
    throw new Error('unexpected: invalid visitor accepted')
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    console.log('validation error, nothing sent:')
    for (const field of err.fieldErrors) console.log(`  ${field.path}: ${field.message}`)
  }

  // Server-side failures carry the status, the request id and whether the lead may have
  // arrived. An appId given in code beats BOTSPLASH_APP_ID; the credentials still come from
  // the environment.
  const wrongApp = new Client({ appId: 'no-such-app' })
  try {
    await wrongApp.listeners.submitVisitor('new-leads', { phoneNumber: '7045550100' })
    throw new Error('unexpected: unknown app accepted')
  } catch (err) {
    if (!(err instanceof BotsplashError)) throw err
    console.log(`${err.code} error (${err.name}): ${err.message}`)
    console.log(`  status ${err.status}, requestId ${err.requestId}, outcomeUnknown: ${err.outcomeUnknown}`)
    if (err.outcomeUnknown) console.log('  the lead may have been delivered: do not resend it blindly')
  }
}

main().catch((err) => {
  console.error(`quickstart failed: ${err instanceof BotsplashError ? `${err.code}: ` : ''}${err.message}`)
  process.exitCode = 1
})
