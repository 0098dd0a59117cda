"""The small layer that the API and the workers share: settings (the only reader of the
environment), database set-up, and network helpers. It imports no project folder but
`models`."""
