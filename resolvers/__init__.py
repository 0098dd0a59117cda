"""Root Query / Mutation / Subscription fields. Thin: authorize, translate input, call
`domain/`, build the payload. One file per mutation."""
