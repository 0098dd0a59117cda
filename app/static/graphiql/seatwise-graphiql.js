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
  // says what to do instead. A subscription goes over WebSocket (`openSocket`, when given);
  // everything else over HTTP.
  function makeFetcher(baseFetcher, token, openSocket) {
    return function fetcher(params, options) {
      if (!token) return Promise.resolve({ errors: [{ message: NO_TOKEN_MESSAGE }] });
      if (openSocket && operationType(params.query, params.operationName) === "subscription") {
        return subscribe(openSocket, token, params);
      }
      const headers = withAuthorization(options && options.headers, token);
      return baseFetcher(params, Object.assign({}, options, { headers }));
    };
  }

  // The type of the operation that runs: that of `operationName`, or of the only operation.
  // Read from the document's top level only (`subscription` is also a field name), after
  // comments and strings are taken out; "query" for anything it cannot tell.
  function operationType(query, operationName) {
    const source = String(query || "")
      .replace(/"""[\s\S]*?"""/g, '""')
      .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
      .replace(/#[^\n\r]*/g, "");
    const operations = [];
    let depth = 0;
    let expectName = null;
    const tokens = source.match(/[_A-Za-z][_0-9A-Za-z]*|[{}()[\]]/g) || [];
    for (const token of tokens) {
      if (token === "{" || token === "(" || token === "[") {
        if (depth === 0 && token === "{" && expectName === null) {
          operations.push({ type: "query", name: null }); // the shorthand `{ ... }`
        }
        if (depth === 0 && token === "{") expectName = null;
        depth += 1;
      } else if (token === "}" || token === ")" || token === "]") {
        depth = Math.max(0, depth - 1);
      } else if (depth === 0) {
        if (expectName !== null) {
          if (expectName.name === null && expectName.type !== "fragment") {
            expectName.name = token;
          }
        } else if (token === "query" || token === "mutation" || token === "subscription") {
          expectName = { type: token, name: null };
          operations.push(expectName);
        } else if (token === "fragment") {
          expectName = { type: "fragment", name: null };
        }
      }
    }
    const runnable = operations.filter((operation) => operation.type !== "fragment");
    const chosen = operationName
      ? runnable.find((operation) => operation.name === operationName)
      : runnable.length === 1
        ? runnable[0]
        : undefined;
    return chosen ? chosen.type : "query";
  }

  // One subscription over its own WebSocket, in the graphql-transport-ws protocol the API
  // speaks (app/graphql_ws.py), as the async iterable of results GraphiQL shows one after
  // the other. Stopping it in GraphiQL completes it and closes the socket.
  function subscribe(openSocket, token, params) {
    const pending = [];
    const waiting = [];
    let finished = false;
    const socket = openSocket("graphql-transport-ws");

    function send(message) {
      try {
        socket.send(JSON.stringify(message));
      } catch {
        // not open yet, or closed already: nothing to tell the server
      }
    }

    function deliver(result, last) {
      if (finished) return;
      if (result) {
        if (waiting.length) waiting.shift()({ value: result, done: false });
        else pending.push(result);
      }
      if (last) {
        finished = true;
        while (waiting.length) waiting.shift()({ value: undefined, done: true });
      }
    }

    socket.onopen = function () {
      send({ type: "connection_init", payload: { Authorization: "Bearer " + token } });
    };
    socket.onmessage = function (event) {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        send({
          id: "1",
          type: "subscribe",
          payload: {
            query: params.query,
            variables: params.variables || {},
            operationName: params.operationName || null,
          },
        });
      } else if (message.type === "ping") {
        send({ type: "pong" });
      } else if (message.type === "next") {
        deliver(message.payload, false);
      } else if (message.type === "error") {
        deliver({ errors: message.payload }, true);
        socket.close(1000);
      } else if (message.type === "complete") {
        deliver(null, true);
        socket.close(1000);
      }
    };
    socket.onclose = function (event) {
      const reason = event.reason ? ": " + event.reason : "";
      deliver({ errors: [{ message: "The connection closed (" + event.code + reason + ")." }] }, true);
    };

    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      next() {
        if (pending.length) return Promise.resolve({ value: pending.shift(), done: false });
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise(function (resolve) {
          waiting.push(resolve);
        });
      },
      return() {
        if (!finished) {
          finished = true;
          send({ id: "1", type: "complete" });
          socket.close(1000);
        }
        pending.length = 0;
        while (waiting.length) waiting.shift()({ value: undefined, done: true });
        return Promise.resolve({ value: undefined, done: true });
      },
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
    const socketUrl =
      (window.location.protocol === "https:" ? "wss://" : "ws://") +
      window.location.host +
      window.location.pathname;
    const openSocket = function (protocol) {
      return new WebSocket(socketUrl, protocol);
    };
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
          fetcher: makeFetcher(baseFetcher, token, openSocket),
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
    module.exports = {
      NO_TOKEN_MESSAGE,
      makeFetcher,
      normalizeToken,
      operationType,
      withAuthorization,
    };
  } else {
    // Read while this script runs: document.currentScript is null afterwards.
    start(document.currentScript.dataset.styleNonce);
  }
})();
