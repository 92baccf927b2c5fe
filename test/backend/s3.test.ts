import {after} from 'node:test'

import {S3Client} from '@aws-sdk/client-s3'

import {S3Backend} from '../../src/backend/s3/s3-backend.js'
import {createS3Client} from '../../src/backend/s3/s3-client.js'
import {S3Keys} from '../../src/backend/s3/s3-keys.js'
import {S3Requests} from '../../src/backend/s3/s3-requests.js'
import {radosgwForSuite} from '../helpers/radosgw-server.js'
import {runBackendContract} from './contract.js'

const server = radosgwForSuite()

/** One client and one bucket for the whole file (a backend does not own its client); each test gets a fresh prefix in it. */
let shared: {client: S3Client; bucket: string} | undefined
let roots = 0
after(() => shared?.client.destroy())

async function clientAndBucket(): Promise<{client: S3Client; bucket: string}> {
  if (shared) return shared
  const s = server()
  const env = {AWS_ACCESS_KEY_ID: s.accessKey, AWS_SECRET_ACCESS_KEY: s.secretKey}
  Object.assign(process.env, env)
  const client = createS3Client({endpoint: s.endpoint, region: s.region, env})
  shared = {client, bucket: await s.createBucket('contract')}
  return shared
}

/** Opens the backend on a fresh prefix; `conditionalWrites` as the server is probed, or none assumed (HEAD-only preconditions). */
function opener(conditionalWrites?: 'assume-none') {
  return async () => {
    const {client, bucket} = await clientAndBucket()
    const keys = new S3Keys(bucket, `root-${++roots}/tree`)
    const requests = new S3Requests(client, {bucket, endpoint: server().endpoint})
    return new S3Backend(requests, keys, keys.url, {conditionalWrites})
  }
}

runBackendContract('S3 (Ceph radosgw)', opener())

// A server that ignores conditional requests (older ones): preconditions by HEAD alone.
runBackendContract('S3 without conditional writes', opener('assume-none'))
