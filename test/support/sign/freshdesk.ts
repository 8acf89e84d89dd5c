/** Freshdesk has no signature: the automation rule sends Tenure's shared token as a custom header. */
export async function signFreshdesk(token: string): Promise<Record<string, string>> {
  return { "X-Tenure-Webhook-Token": token };
}
