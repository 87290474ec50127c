import { RestError } from '@azure/storage-blob';
import { storageRefusal } from '../../../shared/retention/retention-steps';

// A repository refusing retention's collection raises the storage-limit alarm with Storage's cause and its fix.
describe('retention: storage refusals', () => {
  const refusal = (statusCode: number, code: string): RestError => new RestError('refused', { statusCode, code });

  it('names the cause and the fix of each refusal a storage account gives', () => {
    expect(storageRefusal(refusal(403, 'AccountIsDisabled'))).toMatchObject({
      code: 'storage.quotaExceeded',
      message: expect.stringContaining('AccountIsDisabled'),
    });
    expect(storageRefusal(refusal(409, 'AccountLimitExceeded'))?.code).toBe('storage.quotaExceeded');
    expect(storageRefusal(refusal(403, 'AuthorizationPermissionMismatch'))).toMatchObject({
      code: 'storage.forbidden',
      fix: expect.stringContaining('Storage Blob Data Contributor'),
    });
    expect(storageRefusal(refusal(503, 'ServerBusy'))?.code).toBe('storage.unavailable');
    expect(storageRefusal(refusal(409, 'BlobImmutableDueToLegalHold'))?.code).toBe('storage.immutable');
  });

  it('leaves anything that is not a storage answer to fail the step', () => {
    expect(storageRefusal(new Error('socket hang up'))).toBeUndefined();
    expect(storageRefusal(new RestError('no status'))).toBeUndefined();
  });
});
