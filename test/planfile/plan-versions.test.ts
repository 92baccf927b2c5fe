import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, test} from 'node:test'

import {FULL_CAPABILITIES, type Capabilities} from '../../src/backend/capabilities.js'
import {readPlanFile, toPlanJson, validatePlan, writePlanFile, type Plan} from '../../src/index.js'
import {tempDir} from '../helpers/temp-dir.js'
import {samplePlan} from './sample-plan.js'

const FAT: Capabilities = {...FULL_CAPABILITIES, mtimePrecisionNs: 2e9, modes: false, symlinks: false, caseSensitive: false, freeHashes: []}
const S3: Capabilities = {mtimePrecisionNs: 1e6, modes: false, symlinks: false, emptyDirs: false, caseSensitive: true, freeHashes: ['md5'], cheapMove: false, atomicReplace: true}

/** Writes a plan with writePlanFile and reads it back. */
async function roundTrip(t: Parameters<typeof tempDir>[0], plan: Plan): Promise<{read: Plan; text: string}> {
  const file = join(await tempDir(t), 'p.json')
  await writePlanFile(file, plan)
  return {read: await readPlanFile(file), text: await readFile(file, 'utf8')}
}

/** The sample plan as treesync 0.1 wrote it: version 1, entry counts under their old names. */
function versionOne(): Record<string, any> {
  const {entries, ...rest} = JSON.parse(JSON.stringify(toPlanJson(samplePlan())))
  return {...rest, version: 1, replicaEntries: entries.replica, sourceEntries: entries.source}
}

describe('plan files, version 2: write, read, deep-equal', () => {
  const plans: Array<[string, () => Plan]> = [
    ['local roots', samplePlan],
    ['a replica that apply creates', () => ({...samplePlan(), createsReplica: true})],
    ['capabilities of both roots', () => ({...samplePlan(), capabilities: {source: {...FULL_CAPABILITIES, freeHashes: []}, replica: FAT}})],
    ['an SFTP source and an S3 replica', () => ({...samplePlan(), source: 'sftp://backup@nas:2222/volume1/photos', replica: 's3://photos/2024', capabilities: {source: {...FAT, mtimePrecisionNs: 1e9}, replica: S3}})],
    ['an SFTP root relative to the home', () => ({...samplePlan(), source: 'sftp://nas/~/photos'})],
    ['a local root with a colon', () => ({...samplePlan(), replica: '/mnt/user@host:backup'})],
  ]
  for (const [name, plan] of plans) {
    test(name, async (t) => {
      const {read} = await roundTrip(t, plan())
      assert.deepEqual(read, plan())
    })
  }

  test('the document holds the documented fields only: entry counts as `entries`, no internal names', async (t) => {
    const {text} = await roundTrip(t, {...samplePlan(), createsReplica: true, capabilities: {source: FAT, replica: FAT}})
    const json = JSON.parse(text)
    assert.deepEqual(Object.keys(json), [
      'format', 'version', 'source', 'replica', 'createdAt', 'compare', 'operations', 'summary', 'warnings', 'entries', 'createsReplica', 'capabilities',
    ])
    assert.equal(json.version, 2)
    assert.deepEqual(json.entries, {source: 6, replica: 5})
    assert.ok(!text.includes('replicaEntries') && !text.includes('sourceEntries'))
  })

  test('toPlanJson leaves out whatever else an in-memory plan carries', () => {
    const plan = {...samplePlan(), scratch: {inode: 42}} as Plan
    assert.ok(!('scratch' in toPlanJson(plan)))
  })
})

describe('plan files, version 1: still read, as local roots with full capabilities', () => {
  test('a version 1 document reads as the same plan', () => {
    const plan = validatePlan(versionOne(), 'old.json')
    assert.deepEqual(plan, samplePlan())
    assert.equal(plan.capabilities, undefined)
  })

  test('without entry counts, the operations stand in for them', () => {
    const bare = versionOne()
    delete bare.replicaEntries
    delete bare.sourceEntries
    const plan = validatePlan(bare, 'old.json')
    assert.deepEqual([plan.entries.replica, plan.entries.source], [3, 5])
  })

  test('version 1 names local folders only: a URL is not a root there', () => {
    assert.throws(() => validatePlan({...versionOne(), replica: 'sftp://nas/x'}, 'old.json'), /replica is not a normalised absolute path/)
  })
})

describe('hostile version 2 plan files are rejected whole', () => {
  const json = (): Record<string, any> => JSON.parse(JSON.stringify(toPlanJson({...samplePlan(), capabilities: {source: FULL_CAPABILITIES, replica: S3}})))
  const cases: Array<[string, (p: Record<string, any>) => void, RegExp]> = [
    ['a relative local root', (p) => (p.source = 'src'), /source is not a normalised absolute path/],
    ['a root rsync would read as remote', (p) => (p.source = 'nas:photos'), /source "nas:photos" is not written as treesync writes it \("sftp:\/\/nas\/~\/photos"\)/],
    ['a URL not in canonical form', (p) => (p.replica = 'SFTP://nas/x/'), /is not written as treesync writes it \("sftp:\/\/nas\/x"\)/],
    ['a malformed URL', (p) => (p.replica = 's3://'), /replica s3:\/\/ is not a valid root: the bucket name is missing/],
    ['an SFTP password', (p) => (p.replica = 'sftp://u:pw@nas/x'), /password/],
    ['an unknown scheme', (p) => (p.replica = 'ftp://nas/x'), /ftp:\/\/ is not a kind of root/],
    ['a root that is not text', (p) => (p.replica = {kind: 'local', path: '/x'}), /replica is not a string/],
    ['missing entry counts', (p) => delete p.entries, /entries is not an object/],
    ['a negative entry count', (p) => (p.entries.replica = -1), /entries\.replica is not a non-negative integer/],
    ['a fractional entry count', (p) => (p.entries.source = 1.5), /entries\.source is not a non-negative integer/],
    ['capabilities of one root only', (p) => delete p.capabilities.replica, /capabilities\.replica is not an object/],
    ['capabilities as a list', (p) => (p.capabilities = []), /capabilities is not an object/],
    ['a missing capability', (p) => delete p.capabilities.source.modes, /capabilities\.source\.modes is not true or false/],
    ['a capability as text', (p) => (p.capabilities.replica.symlinks = 'false'), /capabilities\.replica\.symlinks is not true or false/],
    ['a zero precision', (p) => (p.capabilities.replica.mtimePrecisionNs = 0), /mtimePrecisionNs is not a whole number of nanoseconds from 1 to a day/],
    ['a precision of a year', (p) => (p.capabilities.replica.mtimePrecisionNs = 365 * 86_400e9), /mtimePrecisionNs/],
    ['a fractional precision', (p) => (p.capabilities.replica.mtimePrecisionNs = 0.5), /mtimePrecisionNs/],
    ['an unknown free hash', (p) => (p.capabilities.replica.freeHashes = ['sha1']), /capabilities\.replica\.freeHashes\[0\] "sha1" is not one of md5/],
    ['a free hash twice', (p) => (p.capabilities.replica.freeHashes = ['md5', 'md5']), /names a hash twice/],
    ['free hashes not a list', (p) => (p.capabilities.replica.freeHashes = 'md5'), /freeHashes is not a list/],
  ]
  for (const [name, edit, message] of cases) {
    test(`rejects ${name}`, () => {
      const plan = json()
      edit(plan)
      assert.throws(() => validatePlan(plan, 'p.json'), (error: Error & {code?: string}) => {
        assert.equal(error.code, 'PLAN_INVALID')
        assert.match(error.message, /^plan file p\.json is not valid: /)
        assert.match(error.message, message)
        assert.ok(!error.message.includes('\n'))
        return true
      })
    })
  }

  test('unknown capability fields are dropped, like any unknown field', () => {
    const plan = json()
    plan.capabilities.replica.teleport = true
    assert.deepEqual(validatePlan(plan, 'p.json').capabilities?.replica, S3)
  })
})
