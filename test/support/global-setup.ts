// Placeholder until the stack launcher lands; replaced in the same change set.
export default async function globalSetup(): Promise<void> {}
