/**
 * Sign-In with Ethereum against a gateway (`GET /api/auth/nonce`, `POST /api/auth/verify`): the session token
 * for the account endpoints. Used by the wallet commands, the benchmarks and the tests.
 */
import type { Address, Hex } from "viem";
import { createSiweMessage } from "viem/siwe";

export type SignInParameters = {
  /** The gateway's base URL (no trailing slash). */
  gatewayUrl: string;
  chainId: number;
  address: Address;
  /** Signs the EIP-4361 message (EIP-191 personal sign). */
  sign(message: string): Promise<Hex>;
  statement?: string;
};

/**
 * Signs in and returns the session token.
 * @throws Error naming the gateway's answer when it refuses.
 */
export async function signIn(p: SignInParameters): Promise<string> {
  const answer = async <T>(res: Response): Promise<T> => {
    const body = (await res.json().catch(() => null)) as (T & { error?: { message: string } }) | null;
    if (!res.ok || body === null)
      throw new Error(`the gateway answered ${res.status}: ${body?.error?.message ?? "(no JSON body)"}`);
    return body;
  };
  const { nonce } = await answer<{ nonce: string }>(await fetch(`${p.gatewayUrl}/api/auth/nonce`));
  const message = createSiweMessage({
    address: p.address,
    chainId: p.chainId,
    domain: new URL(p.gatewayUrl).host,
    nonce,
    uri: p.gatewayUrl,
    version: "1",
    ...(p.statement ? { statement: p.statement } : {}),
  });
  const signature = await p.sign(message);
  const { token } = await answer<{ token: string }>(
    await fetch(`${p.gatewayUrl}/api/auth/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message, signature }),
    }),
  );
  return token;
}
