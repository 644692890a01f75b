// internal/apirouter/auth_middleware.go: with no API_KEY every caller is admin; otherwise
// the header must be `Bearer <token>` with a non-empty token equal to the key. Any other
// token would be tried as a tenant JWT, which the fake does not model: it is refused.
export function authorized(header: string | undefined, apiKey: string): boolean {
  if (apiKey === "") return true;
  if (header === undefined || !header.startsWith("Bearer ")) return false;
  return header.slice("Bearer ".length) === apiKey;
}
