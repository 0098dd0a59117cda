// The token logic of app/static/graphiql/seatwise-graphiql.js, under node's built-in test
// runner (run by tests/app/test_graphiql.py when node is installed).
"use strict";

const assert = require("node:assert/strict");
const path = require("node:path");
const { test } = require("node:test");

const {
  NO_TOKEN_MESSAGE,
  makeFetcher,
  normalizeToken,
  withAuthorization,
} = require(path.join(__dirname, "../../app/static/graphiql/seatwise-graphiql.js"));

function recordingFetcher() {
  const calls = [];
  const fetcher = (params, options) => {
    calls.push({ params, options });
    return Promise.resolve({ data: { ok: true } });
  };
  return { calls, fetcher };
}

test("a pasted token loses its Bearer prefix and surrounding blanks", () => {
  // Given what people paste; When normalized; Then only the token remains
  assert.equal(normalizeToken("  sw_abc \n"), "sw_abc");
  assert.equal(normalizeToken("Bearer sw_abc"), "sw_abc");
  assert.equal(normalizeToken("bearer   sw_abc "), "sw_abc");
  assert.equal(normalizeToken(""), "");
  assert.equal(normalizeToken(null), "");
});

test("the token replaces any Authorization of the tab's header editor", () => {
  // Given a tab whose headers hold a stale placeholder and another header
  const headers = { authorization: "Bearer <paste a token>", "X-Trace": "1" };
  // When the token is added
  const result = withAuthorization(headers, "sw_abc");
  // Then it is the only Authorization, the other header is kept, the input is untouched
  assert.deepEqual(result, { "X-Trace": "1", Authorization: "Bearer sw_abc" });
  assert.deepEqual(headers, { authorization: "Bearer <paste a token>", "X-Trace": "1" });
  assert.deepEqual(withAuthorization(undefined, "sw_abc"), { Authorization: "Bearer sw_abc" });
});

test("with a token, every request carries it", async () => {
  // Given a fetcher for token sw_abc
  const { calls, fetcher } = recordingFetcher();
  const withToken = makeFetcher(fetcher, "sw_abc");
  // When GraphiQL introspects (no headers) and a tab runs a query (its own headers)
  await withToken({ query: "{ __schema { types { name } } }" }, {});
  const answer = await withToken(
    { query: "{ viewer { user { name } } }", operationName: "Viewer" },
    { headers: { "X-Trace": "1" }, shouldPersistHeaders: false },
  );
  // Then both went out with the token, the rest of the options unchanged
  assert.deepEqual(answer, { data: { ok: true } });
  assert.deepEqual(calls, [
    {
      params: { query: "{ __schema { types { name } } }" },
      options: { headers: { Authorization: "Bearer sw_abc" } },
    },
    {
      params: { query: "{ viewer { user { name } } }", operationName: "Viewer" },
      options: {
        headers: { "X-Trace": "1", Authorization: "Bearer sw_abc" },
        shouldPersistHeaders: false,
      },
    },
  ]);
});

test("without a token nothing is sent and the answer says what to do", async () => {
  // Given a fetcher without a token
  const { calls, fetcher } = recordingFetcher();
  const withoutToken = makeFetcher(fetcher, "");
  // When a tab runs a query, even with an Authorization of its own
  const answer = await withoutToken(
    { query: "{ viewer { user { name } } }" },
    { headers: { Authorization: "Bearer sw_abc" } },
  );
  // Then no request is made and the result panel shows the hint, not a 401
  assert.deepEqual(calls, []);
  assert.deepEqual(answer, { errors: [{ message: NO_TOKEN_MESSAGE }] });
  assert.match(NO_TOKEN_MESSAGE, /^No token yet: paste one of the tokens that `make run`/);
});
