// Starts GraphiQL with one token for every tab. A static file (not an inline <script>) so
// that the page's Content-Security-Policy can allow scripts from the app's own files only.
// Under node (`require`) it only exports its pure helpers, for the tests.
"use strict";

(function () {
  const TOKEN_KEY = "seatwise.graphiql.token";
  const NO_TOKEN_MESSAGE =
    "No token yet: paste one of the tokens that `make run` printed into the Token field " +
    "above the editor. Every tab sends it.";

  // People paste either the bare token or the whole "Bearer <token>" header value.
  function normalizeToken(value) {
    return String(value || "")
      .trim()
      .replace(/^bearer\s+/i, "")
      .trim();
  }

  // The token field is the only source of Authorization: a header typed (or persisted by
  // an older version of this page) in one tab's header editor must not shadow it.
  function withAuthorization(headers, token) {
    const result = {};
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() !== "authorization") result[name] = value;
    }
    result.Authorization = "Bearer " + token;
    return result;
  }

  // Without a token nothing is sent: the answer would only be a 401, so the result panel
  // says what to do instead.
  function makeFetcher(baseFetcher, token) {
    return function fetcher(params, options) {
      if (!token) return Promise.resolve({ errors: [{ message: NO_TOKEN_MESSAGE }] });
      const headers = withAuthorization(options && options.headers, token);
      return baseFetcher(params, Object.assign({}, options, { headers }));
    };
  }

  // localStorage throws when storage is disabled; the field then simply is not remembered.
  function loadToken() {
    try {
      return window.localStorage.getItem(TOKEN_KEY) || "";
    } catch {
      return "";
    }
  }

  function saveToken(token) {
    try {
      if (token) window.localStorage.setItem(TOKEN_KEY, token);
      else window.localStorage.removeItem(TOKEN_KEY);
    } catch {
      // not remembered, see loadToken
    }
  }

  function start(styleNonce) {
    // GraphiQL's dialogs add a <style> element (react-remove-scroll); the bundle gives it
    // this global's value as nonce, which the page's CSP allows instead of 'unsafe-inline'.
    window.__webpack_nonce__ = styleNonce;
    const tabs = JSON.parse(document.getElementById("graphiql-examples").textContent);
    const input = document.getElementById("token");
    const status = document.getElementById("token-status");
    const baseFetcher = GraphiQL.createFetcher({ url: window.location.pathname });
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    let current = null;

    function render(token) {
      if (token === current) return;
      current = token;
      status.dataset.state = token ? "set" : "missing";
      status.textContent = token
        ? "sent as Authorization: Bearer … by every tab, remembered in this browser"
        : "no token: paste one that `make run` printed to load the schema and run queries";
      // A new fetcher makes GraphiQL introspect again, so Docs follow the token. Without a
      // token, schema null tells GraphiQL not to introspect at all (no 401 on first load).
      root.render(
        React.createElement(GraphiQL, {
          fetcher: makeFetcher(baseFetcher, token),
          schema: token ? undefined : null,
          defaultTabs: tabs,
        }),
      );
    }

    // A form (browsers want password fields in one) that is never submitted: Enter in the
    // field would reload the page.
    document.getElementById("token-bar").addEventListener("submit", function (event) {
      event.preventDefault();
    });

    // Wait for a pause in typing so that a token typed by hand is introspected once.
    let timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        const token = normalizeToken(input.value);
        saveToken(token);
        render(token);
      }, 300);
    });

    input.value = loadToken();
    render(normalizeToken(input.value));
  }

  if (typeof module === "object" && module.exports) {
    module.exports = { NO_TOKEN_MESSAGE, makeFetcher, normalizeToken, withAuthorization };
  } else {
    // Read while this script runs: document.currentScript is null afterwards.
    start(document.currentScript.dataset.styleNonce);
  }
})();
