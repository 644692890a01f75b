// k6/http asyncRequest over fetch: status 0 plus error/error_code when no answer came.
async function asyncRequest(method, url, body, params = {}) {
  try {
    const res = await fetch(url, {
      method,
      headers: params.headers,
      body: body ?? undefined,
      signal: params.timeout ? AbortSignal.timeout(params.timeout) : undefined,
    });
    return { status: res.status, body: await res.text(), error: "", error_code: 0 };
  } catch (err) {
    return { status: 0, body: null, error: String(err.cause?.message ?? err.message), error_code: 1000 };
  }
}
export default { asyncRequest };
