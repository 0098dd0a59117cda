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
  operationType,
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

test("the operation that runs is told from the document's top level", () => {
  // Given documents where `subscription` is also a field, a string, a comment
  const two = "query Q { subscription { id } } subscription S { accountEvents { kind } }";
  // Then the type is that of the named operation, or of the only one
  assert.equal(operationType("{ viewer { user { name } } }"), "query");
  assert.equal(operationType("subscription($a: ID!) { accountEvents(accountId: $a) { subscription { id } } }"), "subscription");
  assert.equal(operationType(two, "S"), "subscription");
  assert.equal(operationType(two, "Q"), "query");
  assert.equal(operationType(two), "query"); // which one is unknown: HTTP answers
  assert.equal(operationType("# subscription\n{ a }"), "query");
  assert.equal(operationType('query { a(s: "subscription { }") }'), "query");
  assert.equal(operationType("fragment F on X { a } subscription { ...F }"), "subscription");
  assert.equal(operationType("mutation M($i: I = {a: 1}) { m(input: $i) { ok } }"), "mutation");
});

// A WebSocket as the browser's: the test plays the server.
class FakeSocket {
  constructor(protocol) {
    this.protocol = protocol;
    this.sent = [];
    this.closed = null;
  }
  send(text) {
    if (this.closed) throw new Error("closed");
    this.sent.push(JSON.parse(text));
  }
  close(code) {
    this.closed = code;
  }
  receive(message) {
    this.onmessage({ data: JSON.stringify(message) });
  }
}

function socketFactory() {
  const sockets = [];
  const open = (protocol) => {
    const socket = new FakeSocket(protocol);
    sockets.push(socket);
    return socket;
  };
  return { sockets, open };
}

const EVENTS = "subscription($a: ID!) { accountEvents(accountId: $a) { kind } }";

test("a subscription runs over WebSocket with the token, each event a result", async () => {
  // Given a fetcher for token sw_abc that opens sockets
  const { calls, fetcher } = recordingFetcher();
  const { sockets, open } = socketFactory();
  const results = makeFetcher(fetcher, "sw_abc", open)({ query: EVENTS, variables: { a: "X" } }, {});
  const iterator = results[Symbol.asyncIterator]();
  const [socket] = sockets;
  // When the server acknowledges, then sends two events and completes
  socket.onopen();
  socket.receive({ type: "connection_ack" });
  const first = iterator.next();
  socket.receive({ id: "1", type: "next", payload: { data: { accountEvents: { kind: "A" } } } });
  socket.receive({ id: "1", type: "next", payload: { data: { accountEvents: { kind: "B" } } } });
  socket.receive({ type: "ping" });
  socket.receive({ id: "1", type: "complete" });
  // Then nothing went over HTTP, the socket spoke graphql-transport-ws with the token,
  // and GraphiQL gets both events, then the end
  assert.deepEqual(calls, []);
  assert.equal(socket.protocol, "graphql-transport-ws");
  assert.deepEqual(socket.sent, [
    { type: "connection_init", payload: { Authorization: "Bearer sw_abc" } },
    {
      id: "1",
      type: "subscribe",
      payload: { query: EVENTS, variables: { a: "X" }, operationName: null },
    },
    { type: "pong" },
  ]);
  assert.deepEqual(await first, { value: { data: { accountEvents: { kind: "A" } } }, done: false });
  assert.deepEqual(await iterator.next(), {
    value: { data: { accountEvents: { kind: "B" } } },
    done: false,
  });
  assert.deepEqual(await iterator.next(), { value: undefined, done: true });
  assert.equal(socket.closed, 1000);
});

test("a refused subscription or a closed connection is shown as errors", async () => {
  // Given two subscriptions
  const { fetcher } = recordingFetcher();
  const { sockets, open } = socketFactory();
  const refused = makeFetcher(fetcher, "sw_abc", open)({ query: EVENTS }, {});
  const cut = makeFetcher(fetcher, "sw_abc", open)({ query: EVENTS }, {});
  // When the server refuses the first, and closes the second's connection
  sockets[0].onopen();
  sockets[0].receive({ type: "connection_ack" });
  sockets[0].receive({ id: "1", type: "error", payload: [{ message: "no account" }] });
  sockets[1].onclose({ code: 4403, reason: "Forbidden" });
  // Then each ends with its errors
  const first = refused[Symbol.asyncIterator]();
  assert.deepEqual(await first.next(), { value: { errors: [{ message: "no account" }] }, done: false });
  assert.deepEqual(await first.next(), { value: undefined, done: true });
  const second = cut[Symbol.asyncIterator]();
  assert.deepEqual(await second.next(), {
    value: { errors: [{ message: "The connection closed (4403: Forbidden)." }] },
    done: false,
  });
  assert.deepEqual(await second.next(), { value: undefined, done: true });
});

test("stopping a subscription completes it and closes its socket", async () => {
  // Given a running subscription
  const { fetcher } = recordingFetcher();
  const { sockets, open } = socketFactory();
  const results = makeFetcher(fetcher, "sw_abc", open)({ query: EVENTS }, {});
  const [socket] = sockets;
  socket.onopen();
  socket.receive({ type: "connection_ack" });
  const iterator = results[Symbol.asyncIterator]();
  const waiting = iterator.next();
  // When GraphiQL stops it
  await iterator.return();
  // Then the server is told, the socket closed, and the waiting read ends
  assert.deepEqual(socket.sent.at(-1), { id: "1", type: "complete" });
  assert.equal(socket.closed, 1000);
  assert.deepEqual(await waiting, { value: undefined, done: true });
});

test("queries and mutations still go over HTTP when sockets are available", async () => {
  const { calls, fetcher } = recordingFetcher();
  const { sockets, open } = socketFactory();
  await makeFetcher(fetcher, "sw_abc", open)({ query: "mutation { a }" }, {});
  assert.equal(calls.length, 1);
  assert.deepEqual(sockets, []);
});
