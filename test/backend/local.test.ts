import {mkdtemp} from 'node:fs/promises'
import {join} from 'node:path'
import {describe} from 'node:test'

import {LocalBackend} from '../../src/backend/local/local-backend.js'
import {probeLocalCapabilities} from '../../src/backend/local/probe-capabilities.js'
import {imageForSuite, type ImageKind} from '../helpers/filesystem-images.js'
import {tempDir} from '../helpers/temp-dir.js'
import {runBackendContract} from './contract.js'

runBackendContract('local folder (tmpdir)', async (t) => new LocalBackend(await tempDir(t)))
runBackendContract('local folder with copy workers', async (t) => new LocalBackend(await tempDir(t), {copyWorkers: 1}))

/** The contract on a filesystem image that keeps less than ext4, with the capabilities probed there. */
function onImage(kind: ImageKind, title: string): void {
  describe(title, () => {
    const image = imageForSuite(kind)
    for (const copyWorkers of [0, 1]) {
      runBackendContract(`local folder on ${title}${copyWorkers ? ', copy workers' : ''}`, async () => {
        const root = await mkdtemp(join(image().mountPoint, 'contract-'))
        return new LocalBackend(root, {capabilities: await probeLocalCapabilities(root), copyWorkers})
      })
    }
  })
}

onImage('ext4-128', 'ext4 -I 128 (whole-second mtimes)')
onImage('fat', 'FAT through fusefat')
