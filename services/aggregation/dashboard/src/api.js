// Calls of the public analytics API with the caller's token.

const TOKEN_KEY = "liaison.dashboard.token";

/** The token is missing, malformed, expired or refused by the service. */
export class AuthError extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason;
  }
}

/** The service refused the call for the caller's role (403). */
export class ForbiddenError extends Error {}

export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Takes a token passed in the address as `#token=...`, keeps it for the session and
 * removes it from the address, so it stays out of the history and of shared links.
 */
export function adoptTokenFromAddress() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  storeToken(decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}

/** Checks the token's shape and expiry before any call; throws AuthError. */
export function checkToken(token, now = Date.now()) {
  if (!token) throw new AuthError("missing");
  const parts = token.split(".");
  if (parts.length !== 3) throw new AuthError("malformed");
  let claims;
  try {
    const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(parts[1].length / 4) * 4, "="));
    claims = JSON.parse(json);
  } catch {
    throw new AuthError("malformed");
  }
  if (typeof claims.exp === "number" && claims.exp * 1000 <= now) throw new AuthError("expired");
  return claims;
}

/** Returns the URL of an API path: the dashboard is served at <root>/dashboard/. */
function apiUrl(path, query) {
  const root = location.pathname.replace(/\/dashboard(\/.*)?$/, "/");
  const url = new URL(root.replace(/\/?$/, "/") + path.replace(/^\//, ""), location.origin);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  return url;
}

/** GETs a JSON document of the API; throws AuthError, ForbiddenError or Error. */
export async function getJson(path, query) {
  const token = storedToken();
  checkToken(token);
  const response = await fetch(apiUrl(path, query), {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  });
  if (response.status === 401) throw new AuthError("rejected");
  if (response.status === 403) throw new ForbiddenError();
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch {
      // The body is not problem details, so the status is the message.
    }
    throw new Error(detail);
  }
  return response.json();
}

/** Returns the link to a record of the API, relative to the API root. */
export function recordUrl(kind, id) {
  const paths = {
    campaign: "v1/collection-campaigns/",
    assessment: "v1/needs-assessments/",
    reception: "v1/reception-requests/",
    recommendation: "v1/recommendations/",
    officer_request: "v1/officer-requests/",
    body: "v1/government-bodies/",
  };
  return paths[kind] ? apiUrl(paths[kind] + encodeURIComponent(id)).href : null;
}

/** Fetches a static file served beside the page. */
export async function getAsset(name) {
  const response = await fetch(new URL(name, location.href));
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  return response.json();
}
