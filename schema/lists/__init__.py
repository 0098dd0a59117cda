"""The list fields (connections), one room per area: what each list reads, in which
order, and what its page's nodes will ask for next (loaded one query per level).
`scoped.page` holds the steps every list shares."""
