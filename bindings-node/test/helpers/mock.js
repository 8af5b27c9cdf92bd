'use strict'

// Starts a `botsplash-mock` process for one test file and wraps its control API.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const REPO = path.resolve(__dirname, '..', '..', '..')

function mockBinary() {
  const candidates = [
    process.env.BOTSPLASH_MOCK_BIN,
    process.env.CARGO_TARGET_DIR && path.join(process.env.CARGO_TARGET_DIR, 'debug', 'botsplash-mock'),
    path.join(REPO, 'target', 'debug', 'botsplash-mock'),
  ].filter(Boolean)
  const found = candidates.find((c) => fs.existsSync(c))
  if (!found) {
    throw new Error(`botsplash-mock not found (tried ${candidates.join(', ')}); run \`cargo build -p botsplash-mock\``)
  }
  return found
}

/** The mock's defaults: what a correctly configured client uses. */
const APP_ID = 'demo-app'
const API_KEY = 'demo-key'
const USERNAME = 'demo'
const PASSWORD = 'demo-password'

async function startMock(args = []) {
  const child = spawn(mockBinary(), ['--host', '127.0.0.1', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const url = await new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout })
    const timer = setTimeout(() => reject(new Error(`botsplash-mock did not start: ${stderr}`)), 10_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      const m = /^listening on (http:\/\/\S+)$/.exec(line)
      m ? resolve(m[1]) : reject(new Error(`unexpected first line from botsplash-mock: ${line}`))
    })
    child.once('exit', (code) => reject(new Error(`botsplash-mock exited (${code}): ${stderr}`)))
  })

  async function control(method, route, body) {
    const res = await fetch(`${url}/__mock/${route}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    })
    if (!res.ok) throw new Error(`mock control ${method} ${route}: HTTP ${res.status} ${await res.text()}`)
    const text = await res.text()
    return text ? JSON.parse(text) : null
  }

  return {
    url,
    /** Client options that authenticate against this mock with its API key. */
    options: (extra = {}) => ({ appId: APP_ID, apiKey: API_KEY, baseUrl: url, ...extra }),
    ledger: () => control('GET', 'requests'),
    /** Empties the ledger and the fault queue. */
    reset: async () => {
      await control('DELETE', 'requests')
      await control('DELETE', 'faults')
    },
    fault: (...faults) => control('POST', 'faults', { faults }),
    stop: async () => {
      child.kill()
      await exited
    },
  }
}

module.exports = { startMock, APP_ID, API_KEY, USERNAME, PASSWORD }
