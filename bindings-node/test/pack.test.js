'use strict'

// `npm pack` makes a tarball that an empty project installs (offline: the package has no
// dependencies) and uses, from CommonJS and from ES modules.

const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { startMock } = require('./helpers/mock')

const ROOT = path.resolve(__dirname, '..')
let mock
let work

before(async () => {
  mock = await startMock()
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'botsplash-pack-'))
})
after(async () => {
  await mock.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

function npm(args, cwd) {
  // npm-cli.js beside this node binary: no dependence on PATH or on a shell.
  const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')
  const [cmd, argv] = fs.existsSync(npmCli) ? [process.execPath, [npmCli, ...args]] : ['npm', args]
  try {
    return execFileSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    assert.fail(`npm ${args.join(' ')} failed:\n${err.stdout}${err.stderr}`)
  }
}

test('npm pack, install into an empty project, require and import it', () => {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work], ROOT))
  const files = packed.files.map((f) => f.path).sort()
  assert.deepEqual(files, [
    'README.md',
    'botsplash.linux-x64-gnu.node',
    'index.d.ts',
    'index.js',
    'native.d.ts',
    'native.js',
    'package.json',
  ])

  const project = path.join(work, 'consumer')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }))
  npm(['install', '--offline', '--no-audit', '--no-fund', path.join(work, packed.filename)], project)
  const installed = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', 'botsplash', 'package.json'), 'utf8'))
  assert.equal(installed.version, '0.1.0')

  const cjs = `
    const { Client, ValidationError } = require('botsplash')
    const client = new Client({ appId: 'demo-app', apiKey: 'demo-key', baseUrl: process.argv[2] })
    client.listeners.submitVisitor('l1', { phoneNumber: '7045550100' }).then(async (r) => {
      const err = await client.messages.send({ text: '' }).catch((e) => e)
      let internal = 'exposed'
      try { require('botsplash/native.js') } catch (e) { internal = e.code }
      console.log(JSON.stringify({ success: r.success, validation: err instanceof ValidationError, internal }))
    })`
  fs.writeFileSync(path.join(project, 'use.cjs'), cjs)
  const fromCjs = JSON.parse(execFileSync(process.execPath, ['use.cjs', mock.url], { cwd: project, encoding: 'utf8' }))
  assert.deepEqual(fromCjs, { success: true, validation: true, internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })

  const esm = `
    import { Client, BotsplashError } from 'botsplash'
    const client = new Client({ appId: 'demo-app', apiKey: 'demo-key', baseUrl: process.argv[2] })
    const r = await client.listeners.submitSalesforceVisitors('sf', [{ phoneNumber: '7045550100' }])
    console.log(JSON.stringify({ count: r.length, base: typeof BotsplashError }))`
  fs.writeFileSync(path.join(project, 'use.mjs'), esm)
  const fromEsm = JSON.parse(execFileSync(process.execPath, ['use.mjs', mock.url], { cwd: project, encoding: 'utf8' }))
  assert.deepEqual(fromEsm, { count: 1, base: 'function' })
})
