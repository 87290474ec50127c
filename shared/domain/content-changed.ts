// A download that does not fit what the listing said (more bytes than its size, another byte range than asked
// for): the file changed since it was listed. An item failure worth another try, not a failure of the container.
export const CONTENT_CHANGED = 'contentChanged';

export const contentChanged = (message: string): Error => Object.assign(new Error(message), { code: CONTENT_CHANGED });
