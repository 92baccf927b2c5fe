import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {createS3Client, DEFAULT_REGION} from '../../../src/backend/s3/s3-client.js'
import {endpointLabel, endpointOf} from '../../../src/backend/s3/s3-settings.js'
import {isNotFound, isPreconditionFailed, rootFailure, s3Failure} from '../../../src/backend/s3/s3-errors.js'
import {TreesyncError} from '../../../src/errors.js'

const PLACE = {bucket: 'photos', endpoint: 'http://127.0.0.1:7480'}

/** An error shaped as the SDK throws them. */
function sdkError(name: string, status?: number, message = ''): Error {
  return Object.assign(new Error(message), {name, $metadata: {httpStatusCode: status}})
}

describe('S3 client settings', () => {
  test('the endpoint: the flag, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS itself', () => {
    const env = {AWS_ENDPOINT_URL: 'http://generic', AWS_ENDPOINT_URL_S3: 'http://s3-only'}
    assert.equal(endpointOf({endpoint: 'http://flag', env}), 'http://flag')
    assert.equal(endpointOf({env}), 'http://s3-only')
    assert.equal(endpointOf({env: {AWS_ENDPOINT_URL: 'http://generic'}}), 'http://generic')
    assert.equal(endpointOf({env: {}}), undefined)
    assert.equal(endpointOf({env: {AWS_ENDPOINT_URL: ''}}), undefined)
    assert.equal(endpointLabel({env: {}}), 'AWS S3')
  })

  test('a custom endpoint is addressed path-style, with checksums only where required', async () => {
    const client = createS3Client({endpoint: 'http://127.0.0.1:7480', env: {}})
    try {
      assert.equal(client.config.forcePathStyle, true)
      const endpoint = await client.config.endpoint!()
      assert.equal(`${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`, 'http://127.0.0.1:7480')
      assert.equal(await client.config.requestChecksumCalculation(), 'WHEN_REQUIRED')
      assert.equal(await client.config.responseChecksumValidation(), 'WHEN_REQUIRED')
    } finally {
      client.destroy()
    }
  })

  test('the region: given, else from the environment, else the default', async () => {
    const regions = []
    for (const settings of [{region: 'eu-west-3', env: {}}, {env: {AWS_REGION: 'ap-south-1'}}, {env: {AWS_DEFAULT_REGION: 'sa-east-1'}}]) {
      const client = createS3Client(settings)
      regions.push(await client.config.region())
      client.destroy()
    }
    assert.deepEqual(regions, ['eu-west-3', 'ap-south-1', 'sa-east-1'])
    assert.equal(DEFAULT_REGION, 'us-east-1')
  })
})

describe('S3 failures', () => {
  test('a dead endpoint, refused credentials and a missing bucket are the root out of reach, naming bucket and endpoint', () => {
    const cases: Array<[unknown, RegExp]> = [
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7480'), {code: 'ECONNREFUSED'}), /^bucket photos at http:\/\/127\.0\.0\.1:7480: cannot reach the endpoint \(connection refused\)$/],
      [Object.assign(new Error('wrapped'), {cause: Object.assign(new Error('getaddrinfo'), {code: 'ENOTFOUND'})}), /\(no such host\)/],
      [sdkError('TimeoutError'), /\(timed out\)/],
      [sdkError('NoSuchBucket', 404), /^bucket photos at http:\/\/127\.0\.0\.1:7480: no such bucket$/],
      [sdkError('InvalidAccessKeyId', 403), /: the credentials were refused \(InvalidAccessKeyId\)$/],
      [sdkError('SignatureDoesNotMatch', 403), /the credentials were refused \(SignatureDoesNotMatch\)/],
      [sdkError('CredentialsProviderError'), /: no AWS credentials found \(set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/],
    ]
    for (const [error, message] of cases) {
      const failure = rootFailure(error, PLACE)
      assert.ok(failure instanceof TreesyncError, String(message))
      assert.equal(failure.code, 'ROOT_UNREACHABLE')
      assert.match(failure.message, message)
      assert.ok(!failure.message.includes('\n'))
    }
  })

  test('at the bucket check, a bare 404, 403 or 301 is about the bucket', () => {
    assert.match(rootFailure(sdkError('NotFound', 404), PLACE, true)!.message, /no such bucket/)
    assert.match(rootFailure(sdkError('Forbidden', 403), PLACE, true)!.message, /access denied/)
    assert.match(rootFailure(sdkError('PermanentRedirect', 301), PLACE, true)!.message, /another region/)
    assert.equal(rootFailure(sdkError('NotFound', 404), PLACE), undefined, 'later, a 404 is about one key')
    assert.equal(rootFailure(sdkError('AccessDenied', 403), PLACE), undefined, 'later, a 403 may be about one key')
  })

  test('a failure about one key names it, keeps what it was, and stays one line', () => {
    const missing = s3Failure(sdkError('NoSuchKey', 404, 'The specified key does not exist.'), PLACE, 'site/a.txt')
    assert.equal(missing.message, 'no such object: s3://photos/site/a.txt')
    assert.equal((missing as NodeJS.ErrnoException).code, 'ENOENT')
    assert.ok(isNotFound(missing), 'seen through the wrapper')
    const denied = s3Failure(sdkError('AccessDenied', 403, 'Access Denied\nmore'), PLACE, 'k')
    assert.equal(denied.message, 'access denied: s3://photos/k')
    assert.equal(s3Failure(sdkError('SlowDown', 503, 'Please reduce your request rate.\nagain'), PLACE, 'k').message, 'SlowDown: Please reduce your request rate.: s3://photos/k')
    assert.equal((denied as NodeJS.ErrnoException).code, 'EACCES')
    const root = s3Failure(sdkError('NoSuchBucket', 404), PLACE, 'k')
    assert.ok(root instanceof TreesyncError && root.code === 'ROOT_UNREACHABLE')
  })

  test('refused conditions: 412, and 409 ConditionalRequestConflict; through the wrapper too', () => {
    assert.ok(isPreconditionFailed(sdkError('PreconditionFailed', 412)))
    assert.ok(isPreconditionFailed(s3Failure(sdkError('PreconditionFailed', 412), PLACE, 'k')))
    assert.ok(isPreconditionFailed(sdkError('ConditionalRequestConflict', 409)))
    assert.ok(!isPreconditionFailed(sdkError('BucketNotEmpty', 409)))
    assert.ok(!isNotFound(sdkError('NoSuchBucket', 404)), 'a missing bucket is not a missing key')
  })
})
