// A TypeScript program using the package's declarations under `--strict`.
// Configuration comes from the environment: BOTSPLASH_APP_ID, BOTSPLASH_API_KEY (or
// BOTSPLASH_USERNAME + BOTSPLASH_PASSWORD) and, for the mock server, BOTSPLASH_BASE_URL.
//
//   npx tsc -p examples && node examples/dist/typed.js

import {
  Client,
  type ClientOptions,
  type ListenerResult,
  type LendingTreeResponse,
  type Visitor,
  type MessageVisitor,
  type RequestOptions,
  BotsplashError,
  ValidationError,
  RateLimitError,
  PartialBulkError,
  type ErrorCode,
} from 'botsplash'

const options: ClientOptions = { timeoutMs: 10_000, connectTimeoutMs: 2_000, maxRetries: 2, apiKeyIn: 'query' }
const client = new Client(options)

async function main(): Promise<void> {
  // One deadline for the whole script: every call below rejects with a TimeoutError once it passes.
  const signal: AbortSignal = AbortSignal.timeout(60_000)
  const deadline: RequestOptions = { signal }
  const visitor: Visitor = {
    phoneNumber: '+1 704 555 0100',
    firstName: 'Ann',
    state: 'NC',
    tzName: 'America/New_York',
    agentClientUserId: ['agent-7'],
    extendedAttributes: { loanAmount: 250_000, product: 'refi' },
    // A field newer than this SDK passes through.
    participantAgentIds: ['agent-9'],
  }
  const one: ListenerResult = await client.listeners.submitVisitor('new-leads', visitor, { message: 'Hi Ann!', signal })
  console.log(`visitor accepted: ${one.success} ${one.requestId}`)

  const many: ListenerResult[] = await client.listeners.submitSalesforceVisitors('salesforce', [
    visitor,
    { phoneNumber: '704-555-0101', email: 'bo@example.com' },
  ], deadline)
  console.log(`bulk accepted: ${many.length}`)

  const lead: LendingTreeResponse = await client.listeners.submitLendingTreeLead(
    'lendingtree',
    '<LeadInformation><Phone>7045550100</Phone></LeadInformation>',
    deadline,
  )
  console.log(`lendingtree answered ${lead.status}: ${lead.xml.length} bytes of XML`)

  const to: MessageVisitor = { clientVisitorId: 'crm-42' }
  const sent: void = await client.messages.send({ text: 'Your rate is locked.', visitor: to, signal })
  console.log(`message sent: ${sent === undefined}`)

  try {
    await client.listeners.submitVisitor('new-leads', { phoneNumber: '555' })
  } catch (err) {
    if (err instanceof ValidationError) {
      for (const { path, message } of err.fieldErrors) console.log(`invalid ${path}: ${message}`)
    } else {
      throw err
    }
  }

  try {
    await client.listeners.submitSalesforceVisitors('salesforce', [visitor])
  } catch (err) {
    if (err instanceof PartialBulkError) {
      const resend: Visitor[] = err.unconfirmed.map((i) => [visitor][i])
      console.log(`resend ${resend.length}; failed with ${err.causeCode ?? 'unknown'}`)
    } else if (err instanceof RateLimitError) {
      const wait: number | null = err.retryAfter
      console.log(`rate limited, retry after ${wait ?? '?'} s`)
    } else if (err instanceof BotsplashError) {
      const code: ErrorCode = err.code
      const status: number | null = err.status
      console.log(`failed: ${code} ${status} ${err.requestId} unknown outcome: ${err.outcomeUnknown} after ${err.retries} retries`)
    }
  }

  const { appId, auth, baseUrl, timeoutMs } = client.config
  console.log(`client for ${appId} (${auth}) at ${baseUrl}, timeout ${timeoutMs} ms`)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
