"""Culture: batches and their states, the protocol, steps, counts, growth, Today's worklist, harvest and doses."""
