// Mistakes the declarations must catch. `tsc` fails if any line marked @ts-expect-error
// compiles, so this file proves the types are strict where they should be.

import { Client, ValidationError, PartialBulkError, type ErrorCode } from 'botsplash'

export async function misuse(client: Client): Promise<void> {
  // @ts-expect-error timeoutMs is a number of milliseconds
  new Client({ timeoutMs: '5000' })
  // @ts-expect-error apiKeyIn is 'query' or 'body'
  new Client({ apiKeyIn: 'header' })
  // @ts-expect-error unknown option
  new Client({ timeout: 5 })

  // @ts-expect-error phoneNumber is required for a listener post
  await client.listeners.submitVisitor('l', { firstName: 'Ann' })
  // @ts-expect-error phoneNumber is a string
  await client.listeners.submitVisitor('l', { phoneNumber: 7045550100 })
  // @ts-expect-error extendedAttributes is an object
  await client.listeners.submitVisitor('l', { phoneNumber: '7045550100', extendedAttributes: ['a'] })
  // @ts-expect-error agentClientUserId is a string or a list of strings
  await client.listeners.submitVisitor('l', { phoneNumber: '7045550100', agentClientUserId: 7 })
  // @ts-expect-error the message goes in an options object
  await client.listeners.submitVisitor('l', { phoneNumber: '7045550100' }, 'hello')
  // @ts-expect-error listener ids are strings
  await client.listeners.submitVisitor(42, { phoneNumber: '7045550100' })
  // @ts-expect-error LendingTree takes XML text
  await client.listeners.submitLendingTreeLead('l', { Phone: '7045550100' })
  // @ts-expect-error signal is an AbortSignal
  await client.listeners.submitVisitor('l', { phoneNumber: '7045550100' }, { signal: true })
  // @ts-expect-error the AbortController is not the signal
  await client.listeners.submitSalesforceVisitors('l', [], { signal: new AbortController() })
  // @ts-expect-error LendingTree's options hold only the signal
  await client.listeners.submitLendingTreeLead('l', '<x/>', { message: 'hi' })
  // @ts-expect-error signal is an AbortSignal
  await client.messages.send({ text: 'hi', signal: 'abort' })
  // @ts-expect-error a message's visitor needs a clientVisitorId or a phoneNumber
  await client.messages.send({ text: 'hi', visitor: { firstName: 'Ann' } })
  // @ts-expect-error text is required
  await client.messages.send({ visitor: { clientVisitorId: 'c' } })

  const result = await client.listeners.submitVisitor('l', { phoneNumber: '7045550100' })
  // @ts-expect-error the result's id is camelCase
  result.request_id

  const err = new ValidationError('x')
  // @ts-expect-error codes are a closed set
  const code: ErrorCode = 'NOPE'
  void code
  // @ts-expect-error fieldErrors are {path, message} objects
  err.fieldErrors[0].field
  // @ts-expect-error an error's data is read-only
  err.status = 500
  const partial = new PartialBulkError('x')
  // @ts-expect-error unconfirmed holds indices
  const first: string = partial.unconfirmed[0]
  void first
}
