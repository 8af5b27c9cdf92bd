'use strict'

// The TypeScript declarations: the example and the misuse file type-check under --strict, and
// the compiled example runs against the mock, so the declarations match what index.js does.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const fs = require('node:fs')
const { execFileSync } = require('node:child_process')
const { startMock } = require('./helpers/mock')

const ROOT = path.resolve(__dirname, '..')
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const OUT = path.join(ROOT, 'examples', 'dist')
let mock

before(async () => {
  mock = await startMock()
})
after(() => mock.stop())

function tsc(...args) {
  try {
    return execFileSync(process.execPath, [TSC, ...args], { cwd: ROOT, encoding: 'utf8' })
  } catch (err) {
    assert.fail(`tsc ${args.join(' ')} failed:\n${err.stdout}${err.stderr}`)
  }
}

// One compile does both checks (tsc fails on any type error, emitting or not): tsc is the slow
// part of this suite. test.sh also runs the `--noEmit --strict` form on its own.
test('tsc --strict accepts the example and rejects every misuse; the example runs against the mock', () => {
  fs.rmSync(OUT, { recursive: true, force: true })
  tsc('-p', 'examples', '--strict', '--outDir', OUT)
  const env = { ...process.env, BOTSPLASH_APP_ID: 'demo-app', BOTSPLASH_API_KEY: 'demo-key', BOTSPLASH_BASE_URL: mock.url }
  for (const name of ['BOTSPLASH_USERNAME', 'BOTSPLASH_PASSWORD', 'BOTSPLASH_API_KEY_IN']) delete env[name]
  const output = execFileSync(process.execPath, [path.join(OUT, 'examples', 'typed.js')], { env, encoding: 'utf8' })
  const lines = output.trim().split('\n')
  assert.match(lines[0], /^visitor accepted: true [0-9a-f-]{36}$/)
  assert.equal(lines[1], 'bulk accepted: 2')
  assert.match(lines[2], /^lendingtree answered 200: \d+ bytes of XML$/)
  assert.equal(lines[3], 'message sent: true')
  assert.match(lines[4], /^invalid visitor\.phoneNumber: /)
  assert.equal(lines.at(-1), `client for demo-app (api_key_query) at ${mock.url}, timeout 10000 ms`)
})
