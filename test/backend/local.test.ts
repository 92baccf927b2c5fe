import {LocalBackend} from '../../src/backend/local/local-backend.js'
import {tempDir} from '../helpers/temp-dir.js'
import {runBackendContract} from './contract.js'

runBackendContract('local folder (tmpdir)', async (t) => new LocalBackend(await tempDir(t)))
runBackendContract('local folder with copy workers', async (t) => new LocalBackend(await tempDir(t), {copyWorkers: 1}))
