// The login screen's whole logic: sign in (or up), GET /me, renew the session before the tokens
// expire, sign out, delete the account, and a sentence a person can act on for every failure.
import { apiBaseUrl } from "./config.js";

// The tokens live in this variable only: never in localStorage, sessionStorage, a cookie or the
// page. Reloading the page signs you out. The README's "Tokens in a browser app" says why.
let session = null; // {userId, username, idToken, accessToken, refreshToken, expiresAt}
let renewTimer = 0;

const $ = (id) => document.getElementById(id);
const form = $("signin-form");
const username = $("username");
const password = $("password");

// Renew this long before the tokens expire (or half-way, for short-lived tokens).
const RENEW_EARLY_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 15 * 1000;

// call sends one request to the API and returns {ok, status, body, retryAfter}, or
// {network: true} when no answer could be read: the network is down, the request timed out,
// or the browser refused the answer because of CORS (scripts cannot tell these apart).
async function call(method, path, { json, token } = {}) {
  const headers = {};
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = token; // bare, as API Gateway's Cognito authorizer reads it
  let res;
  try {
    res = await fetch(apiBaseUrl + path, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    return { network: true };
  }
  let body = {};
  try {
    body = await res.json();
  } catch {
    // not JSON: the status says enough
  }
  const retryAfter = Number(res.headers.get("Retry-After") ?? body.retry_after) || 0;
  return { ok: res.ok, status: res.status, body, retryAfter };
}

// explain turns a failed call into a sentence for a person, and says whether trying the same
// thing again can help.
function explain(r) {
  if (r.network) {
    return {
      text: "The sign-in service could not be reached. Check your connection and try again. " +
        "If it keeps happening, the service may not accept requests from this page's address (its CORS setting).",
      retry: true,
    };
  }
  const wait = r.retryAfter || 1;
  const seconds = `${wait} second${wait === 1 ? "" : "s"}`;
  switch (r.body.error) {
    case "invalid_credentials":
      return { text: "Wrong password for this username. Check it and try again; if this is not your account, choose another username." };
    case "too_many_attempts":
      return { text: `Too many wrong passwords. You can try again in ${seconds}.`, wait };
    case "too_many_requests":
      return { text: `The service is busy right now. Please try again in ${seconds}.`, wait, retry: true };
    case "invalid_password":
      return { text: `Please choose a stronger password. ${r.body.msg || ""}`.trim() };
    case "invalid_request":
      return { text: r.body.msg || "Please check the username and the password." };
    case "payload_too_large":
      return { text: "That is too long to send. Please use a shorter username or password." };
    case "user_not_confirmed":
      return { text: "This account is not confirmed yet, so it cannot sign in." };
    case "password_reset_required":
      return { text: "This account's password has to be reset before it can sign in." };
    case "challenge_required":
      return { text: "This account needs another sign-in step, which this page does not offer." };
    case "signup_rejected":
      return { text: "This sign-up was refused." };
    case "invalid_token":
      return { text: "Your session has ended. Please sign in again." };
    case "service_unavailable":
      return { text: "The sign-in service is unavailable right now. Please try again in a moment.", retry: true };
    case "internal_error":
      return { text: "Something went wrong on our side. Please try again.", retry: true };
  }
  if (r.status === 401) return { text: "Your session is no longer valid. Please sign in again." };
  if (r.status >= 500) return { text: `The service failed (HTTP ${r.status}). Please try again.`, retry: true };
  return { text: `The service refused the request (HTTP ${r.status}${r.body.message ? ": " + r.body.message : ""}).` };
}

function say(text) {
  $("status").textContent = text;
}

// problem shows a failure; with again, a "Try again" button repeats what failed.
function problem(text, again) {
  $("problem-text").textContent = text;
  const retry = $("retry");
  retry.hidden = !again;
  retry.onclick = again ? () => { clearProblem(); again(); } : null;
}

function clearProblem() {
  problem("");
}

function show(signedIn) {
  form.hidden = signedIn;
  $("session").hidden = !signedIn;
  $("page-title").textContent = signedIn ? "Your account" : "Sign in";
}

async function signIn(retried = false) {
  clearProblem();
  say(retried ? "Your account was created. Finishing the sign-in…" : "Signing in…");
  const r = await call("POST", "/signin", { json: { username: username.value, password: password.value } });
  if (r.ok) {
    start(r.body, username.value);
    return;
  }
  if (r.body?.account_created && !retried) {
    return signIn(true); // the account exists now: the same request signs in
  }
  say("");
  const e = explain(r);
  problem(e.text, e.retry && (() => signIn()));
  if (e.wait) holdSubmit(e.wait);
  // The field to fix keeps the focus, its text selected to type over.
  const field = r.body?.error === "invalid_request" ? username : password;
  field.focus();
  field.select();
}

// holdSubmit disables Continue and Try again for the wait the service asked for.
function holdSubmit(seconds) {
  const buttons = [$("continue"), $("retry")];
  for (const b of buttons) b.disabled = true;
  setTimeout(() => {
    for (const b of buttons) b.disabled = false;
    say("You can try again now.");
  }, seconds * 1000);
}

function start(body, name) {
  session = { userId: body.user_id, username: name };
  keepTokens(body);
  password.value = "";
  $("account-kind").textContent = body.is_new ? "New: created just now" : "Existing: welcome back";
  $("user-id").textContent = body.user_id;
  $("me-username").textContent = "…";
  $("session-title").textContent = `Signed in as ${name}`;
  show(true);
  say(body.is_new ? "Your account was created and you are signed in." : "You are signed in.");
  $("session-title").focus();
  loadMe();
}

// keepTokens stores a sign-in's or a renewal's tokens and plans the next renewal.
function keepTokens(body) {
  session.idToken = body.id_token;
  session.accessToken = body.access_token;
  if (body.refresh_token) session.refreshToken = body.refresh_token; // a renewal may rotate it
  const lifetime = body.expires_in * 1000;
  session.expiresAt = Date.now() + lifetime;
  clearTimeout(renewTimer);
  const delay = Math.max(lifetime - RENEW_EARLY_MS, lifetime / 2);
  renewTimer = setTimeout(renew, delay);
  const at = new Date(Date.now() + delay).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  $("renews").textContent = `Renews by itself at ${at}`;
}

// renew trades the refresh token for new tokens (POST /refresh). A refusal ends the session; a
// failure that may pass is tried again in a minute while the tokens still hold.
async function renew() {
  if (!session) return false;
  const r = await call("POST", "/refresh", { json: { refresh_token: session.refreshToken } });
  if (!session) return false; // signed out meanwhile
  if (r.ok) {
    keepTokens(r.body);
    say("Session renewed.");
    return true;
  }
  const e = explain(r);
  if (!e.retry) {
    end();
    problem(e.text);
    username.focus();
    return false;
  }
  problem(`The session could not be renewed. ${e.text}`, renew);
  clearTimeout(renewTimer);
  renewTimer = setTimeout(renew, 60 * 1000);
  return false;
}

// fresh renews first when the tokens are about to expire (a laptop asleep misses its timer).
async function fresh() {
  return Date.now() < session.expiresAt - 5 * 1000 || renew();
}

// loadMe calls GET /me with the ID token, the token API Gateway's Cognito authorizer takes on a
// route without OAuth scopes.
async function loadMe() {
  if (!(await fresh())) return;
  let r = await call("GET", "/me", { token: session.idToken });
  if (r.status === 401 && (await renew())) {
    r = await call("GET", "/me", { token: session.idToken });
  }
  if (!session) return;
  if (r.ok) {
    $("me-username").textContent = r.body.username;
    return;
  }
  $("me-username").textContent = "(not loaded)";
  const e = explain(r);
  problem(e.text, e.retry && loadMe);
}

// signOut revokes the refresh token (POST /signout); "On every device" also signs out every
// other session of the account, which needs the access token. The tokens are dropped here
// whatever the answer.
async function signOut() {
  clearProblem();
  const everywhere = $("everywhere").checked;
  if (everywhere && !(await fresh())) return; // the access token must still hold
  const { refreshToken, accessToken } = session;
  end();
  say("Signing out…");
  const r = await call("POST", "/signout", {
    json: { refresh_token: refreshToken, everywhere },
    token: everywhere ? accessToken : undefined,
  });
  if (r.ok) {
    say(everywhere ? "You are signed out on every device." : "You are signed out.");
  } else {
    say("You are signed out on this page.");
    problem(`The service could not end the session, so it stays usable until it expires. ${explain(r).text}`);
  }
  username.focus();
}

// deleteAccount runs after the confirmation: DELETE /me with the access token (the route asks
// for the aws.cognito.signin.user.admin scope, which only the access token carries).
async function deleteAccount() {
  clearProblem();
  if (!(await fresh())) return;
  say("Deleting your account…");
  const r = await call("DELETE", "/me", { token: session.accessToken });
  if (r.ok) {
    end();
    username.value = "";
    say("Your account was deleted.");
    username.focus();
    return;
  }
  say("");
  const e = explain(r);
  problem(`Your account was not deleted. ${e.text}`, e.retry && deleteAccount);
  $("delete").focus();
}

// end forgets the session and shows the sign-in form again.
function end() {
  clearTimeout(renewTimer);
  session = null;
  show(false);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!$("continue").disabled) signIn();
});
$("me").addEventListener("click", () => { clearProblem(); loadMe(); });
$("refresh").addEventListener("click", () => { clearProblem(); renew(); });
$("signout").addEventListener("click", signOut);
$("delete").addEventListener("click", () => {
  $("delete-username").textContent = session.username;
  $("delete-dialog").returnValue = "";
  $("delete-dialog").showModal();
});
$("delete-dialog").addEventListener("close", () => {
  if ($("delete-dialog").returnValue === "delete") deleteAccount();
  else $("delete").focus();
});
