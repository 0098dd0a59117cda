"""What every mutation shares: user errors with a code enum per mutation, and the payload
conventions (the changed objects plus `userErrors`)."""
